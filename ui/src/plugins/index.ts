// Installs the portal's plugins in order: state first, since the router's guard reads it.
import type { App } from "vue"
import { pinia } from "./pinia.ts"
import { router } from "./router.ts"
import { vuetify } from "./vuetify.ts"

export function registerPlugins(app: App) {
  app.use(pinia).use(vuetify).use(router)
}
