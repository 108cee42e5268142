// Component and unit tests: happy-dom, with Vuetify compiled by Vite (its CSS imports need that).
import { defineConfig, mergeConfig } from "vitest/config"
import viteConfig from "./vite.config.ts"

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      environment: "happy-dom",
      include: ["src/**/*.test.ts"],
      setupFiles: ["src/testing/setup.ts"],
      // Mounting Vuetify overlays takes seconds on a busy 2-core machine; 5 s flaked.
      testTimeout: 30_000,
      server: { deps: { inline: ["vuetify"] } },
    },
  }),
)
