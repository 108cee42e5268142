// Builds every first-party plugin (plugins/<name>/manifest.json + src/plugin.ts) with the SDK into
// plugins/<name>/dist/plugin.js and writes the local marketplace index plugins/marketplace.json.
// Usage: bun run build:plugins [--check]   --check: build, but fail if the checked-in index is not what the build gives.
import { readdirSync } from "node:fs"
import { join } from "node:path"
import { checkManifest, PluginInstallError } from "../plugins/runtime/src/host/index.ts"
import type { MarketplaceIndex } from "../schemas/src/index.ts"
import { buildPlugin, PluginBuildError } from "../sdk/src/plugin/build.ts"

const PLUGINS_DIR = join(import.meta.dir, "..", "plugins")
const INDEX = join(PLUGINS_DIR, "marketplace.json")

/** Folders that hold a plugin: a manifest and an entry. The runtime and anything else are skipped. */
const pluginFolders = (): string[] =>
  readdirSync(PLUGINS_DIR, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .filter((name) => Bun.file(join(PLUGINS_DIR, name, "manifest.json")).size > 0)
    .filter((name) => Bun.file(join(PLUGINS_DIR, name, "src", "plugin.ts")).size > 0)
    .sort()

export async function buildMarketplace(): Promise<{ index: MarketplaceIndex; text: string }> {
  const plugins: MarketplaceIndex["plugins"] = []
  for (const name of pluginFolders()) {
    const dir = join(PLUGINS_DIR, name)
    const manifest = checkManifest(await Bun.file(join(dir, "manifest.json")).json())
    const build = await buildPlugin(join(dir, "src", "plugin.ts"))
    await Bun.write(join(dir, "dist", "plugin.js"), build.code)
    console.log(`${manifest.id}@${manifest.version}: ${build.bytes} bytes, sha256 ${build.sha256}`)
    plugins.push({ manifest: `${name}/manifest.json`, bundle: `${name}/dist/plugin.js`, sha256: build.sha256 })
  }
  const index = { plugins }
  return { index, text: `${JSON.stringify(index, null, 2)}\n` }
}

if (import.meta.main) {
  try {
    const { text } = await buildMarketplace()
    const current = await Bun.file(INDEX)
      .text()
      .catch(() => "")
    if (process.argv.includes("--check")) {
      if (current !== text) {
        console.error(
          "plugins/marketplace.json is not what the plugins build to: run `bun run build:plugins` and commit the index.",
        )
        process.exit(1)
      }
      console.log("plugins/marketplace.json matches the build")
    } else if (current !== text) {
      await Bun.write(INDEX, text)
      console.log("wrote plugins/marketplace.json")
    }
  } catch (error) {
    if (!(error instanceof PluginBuildError || error instanceof PluginInstallError)) throw error
    console.error(error.message)
    process.exit(1)
  }
}
