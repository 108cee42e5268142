// The one Pinia instance of the portal.
import { createPinia } from "pinia"

export const pinia = createPinia()
