// What this browser remembers about how the portal looks: the theme.
import { defineStore } from "pinia"
import { ref, watch } from "vue"

export type ThemeName = "light" | "dark"
const THEME_KEY = "streamspace.theme"

const initialTheme = (): ThemeName => {
  const saved = localStorage.getItem(THEME_KEY)
  if (saved === "light" || saved === "dark") return saved
  return window.matchMedia?.("(prefers-color-scheme: dark)").matches ? "dark" : "light"
}

export const usePreferencesStore = defineStore("preferences", () => {
  const theme = ref<ThemeName>(initialTheme())
  watch(theme, (t) => localStorage.setItem(THEME_KEY, t))
  function toggleTheme() {
    theme.value = theme.value === "dark" ? "light" : "dark"
  }
  return { theme, toggleTheme }
})
