// First start: installs and enables the first-party auth plugin from the local marketplace, so sign-in works out of the box.
import type { CoreDeps } from "../../deps.ts"
import { Conflict } from "../../http/errors.ts"
import { readMarketplace } from "../plugins/marketplace.ts"
import type { PluginHost } from "../plugins/plugin-host.ts"
import { installPlugin, listPlugins } from "../plugins/service.ts"
import { getSetting, putSetting } from "../settings/repo.ts"

export const AUTH_PLUGIN_ID = "streamspace.auth"
/** Set once the default install happened: an admin who later uninstalls the plugin is not overruled on restart. */
const DONE_KEY = "auth_plugin_default_installed"

type DefaultInstall = "installed" | "present" | "not-running"

/** Throws MarketplaceUnavailable (or a plain Error) when the marketplace cannot provide the plugin. */
export async function ensureAuthPlugin(deps: CoreDeps, host: PluginHost): Promise<DefaultInstall> {
  if (!host.running) return "not-running"
  if (await getSetting<boolean>(deps.sql, DONE_KEY)) return "present"
  await host.ready
  let outcome: DefaultInstall = "present"
  if (!(await listPlugins(deps, host)).some((install) => install.pluginId === AUTH_PLUGIN_ID)) {
    const listed = (await readMarketplace(host.marketplace)).find((p) => p.manifest.id === AUTH_PLUGIN_ID)
    if (listed === undefined) throw new Error(`The plugin marketplace (${host.marketplace}) does not list ${AUTH_PLUGIN_ID}.`)
    try {
      await installPlugin(deps, host, { source: "marketplace", pluginId: AUTH_PLUGIN_ID, grant: listed.manifest.permissions })
      outcome = "installed"
    } catch (error) {
      // Another replica starting at the same moment installed it first.
      if (!(error instanceof Conflict)) throw error
    }
  }
  await putSetting(deps.sql, DONE_KEY, true)
  return outcome
}
