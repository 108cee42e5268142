// First-party plugins (streamspace.*) ship with the control plane: at start, an install older than the
// marketplace's newest version is moved to it, so the core and the plugins it relies on (the auth
// plugin's hooks, the webhooks plugin's storage) stay of one release.
import type { CoreDeps } from "../../deps.ts"
import { AppError } from "../../http/errors.ts"
import { readMarketplace } from "./marketplace.ts"
import type { PluginHost } from "./plugin-host.ts"
import { listPlugins, upgradePlugin } from "./service.ts"

export const FIRST_PARTY = /^streamspace\./

export type FirstPartyUpgrade =
  | { pluginId: string; from: string; to: string }
  /** The new version does not take the install's grant or config: an admin upgrades it by hand. */
  | { pluginId: string; from: string; to: string; refused: string }

export async function upgradeFirstPartyPlugins(deps: CoreDeps, host: PluginHost): Promise<FirstPartyUpgrade[]> {
  if (!host.running) return []
  await host.ready
  const newest = new Map<string, string>()
  for (const { manifest } of await readMarketplace(host.marketplace)) {
    if (!FIRST_PARTY.test(manifest.id)) continue
    const known = newest.get(manifest.id)
    if (!known || Bun.semver.order(manifest.version, known) > 0) newest.set(manifest.id, manifest.version)
  }
  const done: FirstPartyUpgrade[] = []
  for (const install of await listPlugins(deps, host)) {
    const to = newest.get(install.pluginId)
    if (!to || Bun.semver.order(to, install.version) <= 0) continue
    const from = install.version
    try {
      await upgradePlugin(deps, host, install.id, { version: to })
      done.push({ pluginId: install.pluginId, from, to })
    } catch (error) {
      // Another replica starting at the same moment moved it first.
      if (error instanceof AppError && error.code === "PLUGIN_UP_TO_DATE") continue
      if (!(error instanceof AppError)) throw error
      done.push({ pluginId: install.pluginId, from, to, refused: error.message })
    }
  }
  return done
}
