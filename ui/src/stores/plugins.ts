// Plugin administration: installs and their status, the local marketplace, config, enable/disable, uninstall.
import type { MarketplaceEntry, PluginInstall, PluginInstallDetail } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export const usePluginsStore = defineStore("plugins", () => {
  const installs = ref<PluginInstall[]>([])
  const marketplace = ref<MarketplaceEntry[]>([])

  const replace = (install: PluginInstall) => {
    installs.value = installs.value.some((i) => i.id === install.id)
      ? installs.value.map((i) => (i.id === install.id ? install : i))
      : [...installs.value, install]
  }

  async function load() {
    const [list, offered] = await Promise.all([call((api) => api.plugins.get()), call((api) => api.plugins.marketplace.get())])
    installs.value = list
    marketplace.value = offered
  }

  const detail = (id: string): Promise<PluginInstallDetail> => call((api) => api.plugins({ id }).get())

  /** Grants exactly what the plugin asks for: the admin has read the list before confirming. */
  async function install(entry: MarketplaceEntry): Promise<PluginInstall> {
    const installed = await call((api) =>
      api.plugins.post({ source: "marketplace", pluginId: entry.pluginId, version: entry.version, grant: entry.permissions }),
    )
    replace(installed)
    marketplace.value = marketplace.value.map((m) => (m.pluginId === entry.pluginId ? { ...m, installed: true } : m))
    return installed
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
    if (gone) marketplace.value = marketplace.value.map((m) => (m.pluginId === gone.pluginId ? { ...m, installed: false } : m))
  }

  return { installs, marketplace, load, detail, install, configure, setEnabled, uninstall }
})
