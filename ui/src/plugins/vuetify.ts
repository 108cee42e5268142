// Vuetify with StreamSpace's light and dark themes and SVG icons (only the icons we use are bundled).
import "@fontsource/roboto/400.css"
import "@fontsource/roboto/500.css"
import "@fontsource/roboto/700.css"
import "vuetify/styles"
import { createVuetify } from "vuetify"
import { aliases, mdi } from "vuetify/iconsets/mdi-svg"

const brand = {
  primary: "#1565c0",
  secondary: "#00897b",
  info: "#0277bd",
  success: "#2e7d32",
  warning: "#ef6c00",
  error: "#c62828",
}

export const vuetify = createVuetify({
  icons: { defaultSet: "mdi", aliases, sets: { mdi } },
  theme: {
    defaultTheme: "light",
    themes: {
      light: { dark: false, colors: { ...brand, background: "#f5f7fa", surface: "#ffffff" } },
      dark: {
        dark: true,
        colors: {
          ...brand,
          primary: "#64b5f6",
          secondary: "#4db6ac",
          info: "#4fc3f7",
          success: "#81c784",
          warning: "#ffb74d",
          error: "#ef9a9a",
          background: "#12161c",
          surface: "#1b2129",
        },
      },
    },
  },
  defaults: {
    VBtn: { rounded: "lg" },
    VCard: { rounded: "lg" },
    VTextField: { variant: "outlined", density: "comfortable" },
    VTextarea: { variant: "outlined", density: "comfortable" },
    VSelect: { variant: "outlined", density: "comfortable" },
    VAutocomplete: { variant: "outlined", density: "comfortable" },
    VCombobox: { variant: "outlined", density: "comfortable" },
  },
})
