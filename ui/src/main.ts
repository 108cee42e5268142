// Boots the portal: installs the plugins and mounts the app (the router restores the sign-in first).
import { createApp } from "vue"
import App from "./App.vue"
import "./style.css"
import { registerPlugins } from "./plugins/index.ts"

const app = createApp(App)
registerPlugins(app)
app.mount("#app")
