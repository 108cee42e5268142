// The local marketplace: reads the index (a JSON file, or a directory holding marketplace.json) and checks bundle hashes.
import { createHash } from "node:crypto"
import { readFile, stat } from "node:fs/promises"
import { dirname, join, resolve } from "node:path"
import { Value } from "@sinclair/typebox/value"
import { checkManifest, PluginInstallError } from "@streamspace/plugin-runtime/host"
import { MarketplaceIndex, type PluginManifest } from "@streamspace/schemas"
import { NotFound } from "../../http/errors.ts"
import { MarketplaceUnavailable, PluginRejected } from "./errors.ts"

export interface MarketplacePlugin {
  manifest: PluginManifest
  bundlePath: string
  sha256: string
}

export const sha256Of = (text: string) => createHash("sha256").update(text).digest("hex")

async function indexFile(location: string | undefined): Promise<string> {
  if (location === undefined)
    throw new MarketplaceUnavailable(
      "No marketplace is configured: set PLUGIN_MARKETPLACE to a marketplace.json file or a directory holding one.",
    )
  const path = resolve(location)
  try {
    return (await stat(path)).isDirectory() ? join(path, "marketplace.json") : path
  } catch {
    throw new MarketplaceUnavailable(`The marketplace index ${path} (PLUGIN_MARKETPLACE) does not exist.`)
  }
}

async function readJson(path: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, "utf8"))
  } catch (error) {
    throw new MarketplaceUnavailable(`${what} ${path} cannot be read as JSON: ${(error as Error).message}`)
  }
}

/** Every plugin the index lists, with its manifest checked. A broken entry makes the index unavailable, by name. */
export async function readMarketplace(location: string | undefined): Promise<MarketplacePlugin[]> {
  const file = await indexFile(location)
  const index = await readJson(file, "The marketplace index")
  if (!Value.Check(MarketplaceIndex, index)) {
    const first = Value.Errors(MarketplaceIndex, index).First()
    throw new MarketplaceUnavailable(`The marketplace index ${file} is invalid at ${first?.path || "/"}: ${first?.message}.`)
  }
  const base = dirname(file)
  const plugins: MarketplacePlugin[] = []
  for (const [i, entry] of index.plugins.entries()) {
    const raw = typeof entry.manifest === "string" ? await readJson(join(base, entry.manifest), "The manifest") : entry.manifest
    try {
      plugins.push({ manifest: checkManifest(raw), bundlePath: join(base, entry.bundle), sha256: entry.sha256 })
    } catch (error) {
      if (!(error instanceof PluginInstallError)) throw error
      throw new MarketplaceUnavailable(`The marketplace index ${file} lists an invalid plugin at /plugins/${i}: ${error.message}`)
    }
  }
  return plugins
}

/** A plugin's manifest and bundle from the marketplace, refused unless the bundle's bytes match the listed sha256. */
export async function fetchFromMarketplace(location: string | undefined, pluginId: string, version?: string) {
  const candidates = (await readMarketplace(location)).filter(
    (p) => p.manifest.id === pluginId && (version === undefined || p.manifest.version === version),
  )
  // Without a version the newest listed one wins.
  const found = candidates.sort((a, b) => Bun.semver.order(b.manifest.version, a.manifest.version))[0]
  if (found === undefined) throw new NotFound(`The plugin ${pluginId}${version ? `@${version}` : ""} in the marketplace`)
  let bundle: string
  try {
    bundle = await readFile(found.bundlePath, "utf8")
  } catch (error) {
    throw new MarketplaceUnavailable(
      `The bundle of ${pluginId} (${found.bundlePath}) cannot be read: ${(error as Error).message}`,
    )
  }
  const actual = sha256Of(bundle)
  if (actual !== found.sha256)
    throw new PluginRejected(
      "PLUGIN_BUNDLE_HASH_MISMATCH",
      `The bundle of ${pluginId}@${found.manifest.version} has sha256 ${actual}, but the marketplace lists ${found.sha256}; it was not installed.`,
      [{ field: "/pluginId", message: "bundle hash does not match the marketplace index" }],
    )
  return { manifest: found.manifest, bundle, sha256: actual }
}
