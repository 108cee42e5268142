// Plugin administration: installs and their status, the local marketplace, config, enable/disable, uninstall, admin actions.
import type { MarketplaceEntry, PluginActionDeclaration, PluginInstall, PluginInstallDetail } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export const usePluginsStore = defineStore("plugins", () => {
  const installs = ref<PluginInstall[]>([])
  const marketplace = ref<MarketplaceEntry[]>([])
  /** The admin actions each install's manifest declares, by install id. */
  const actions = ref<Record<string, PluginActionDeclaration[]>>({})

  const loadActions = async (id: string) => {
    const declared = await call((api) => api.plugins({ id }).actions.get())
    actions.value = { ...actions.value, [id]: declared }
  }

  const replace = (install: PluginInstall) => {
    installs.value = installs.value.some((i) => i.id === install.id)
      ? installs.value.map((i) => (i.id === install.id ? install : i))
      : [...installs.value, install]
  }

  async function load() {
    const [list, offered] = await Promise.all([call((api) => api.plugins.get()), call((api) => api.plugins.marketplace.get())])
    installs.value = list
    marketplace.value = offered
    await Promise.all(list.filter((i) => !actions.value[i.id]).map((i) => loadActions(i.id)))
  }

  /** Refreshes the installs' status alone (a plugin that is loading becomes running or failed). */
  async function refreshStatus() {
    installs.value = await call((api) => api.plugins.get())
  }

  const detail = (id: string): Promise<PluginInstallDetail> => call((api) => api.plugins({ id }).get())

  /** Grants exactly what the plugin asks for: the admin has read the list before confirming. */
  async function install(entry: MarketplaceEntry): Promise<PluginInstall> {
    const installed = await call((api) =>
      api.plugins.post({ source: "marketplace", pluginId: entry.pluginId, version: entry.version, grant: entry.permissions }),
    )
    replace(installed)
    await loadActions(installed.id)
    marketplace.value = marketplace.value.map((m) =>
      m.pluginId === entry.pluginId ? { ...m, installed: true, installedVersion: installed.version } : m,
    )
    return installed
  }

  /** Moves the install of the entry's plugin to the entry's version; its config and grant stay (the control plane checks they fit). */
  async function upgrade(entry: MarketplaceEntry): Promise<PluginInstall> {
    const current = installs.value.find((i) => i.pluginId === entry.pluginId)
    if (!current) throw new Error(`${entry.pluginId} is not installed.`)
    const upgraded = await call((api) => api.plugins({ id: current.id }).upgrade.post({ version: entry.version }))
    replace(upgraded)
    await loadActions(upgraded.id)
    marketplace.value = marketplace.value.map((m) =>
      m.pluginId === entry.pluginId ? { ...m, installedVersion: upgraded.version } : m,
    )
    return upgraded
  }

  async function configure(id: string, config: Record<string, unknown>) {
    replace(await call((api) => api.plugins({ id }).patch({ config })))
  }

  async function setEnabled(id: string, enabled: boolean) {
    replace(await call((api) => (enabled ? api.plugins({ id }).enable.post() : api.plugins({ id }).disable.post())))
  }

  async function uninstall(id: string) {
    const gone = installs.value.find((i) => i.id === id)
    await call((api) => api.plugins({ id }).delete())
    installs.value = installs.value.filter((i) => i.id !== id)
    const { [id]: _gone, ...rest } = actions.value
    actions.value = rest
    if (gone)
      marketplace.value = marketplace.value.map((m) =>
        m.pluginId === gone.pluginId ? { ...m, installed: false, installedVersion: null } : m,
      )
  }

  /** Runs an admin action; the control plane checks the input against the action's schema and audits the run. */
  const runAction = (id: string, action: string, input: Record<string, unknown>): Promise<unknown> =>
    call((api) => api.plugins({ id }).actions({ action }).post(input))

  return {
    installs,
    marketplace,
    actions,
    load,
    refreshStatus,
    detail,
    install,
    upgrade,
    configure,
    setEnabled,
    uninstall,
    runAction,
  }
})
