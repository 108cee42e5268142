// Component and unit tests: happy-dom, with Vuetify compiled by Vite (its CSS imports need that).
import { defineConfig, mergeConfig } from "vitest/config"
import viteConfig from "./vite.config.ts"

export default mergeConfig(
  viteConfig,
  defineConfig({
    test: {
      environment: "happy-dom",
      include: ["src/**/*.test.ts"],
      server: { deps: { inline: ["vuetify"] } },
    },
  }),
)
