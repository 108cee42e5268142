// Copies text to the clipboard and says for a moment that it did.
import { ref } from "vue"

export function useClipboard(resetAfterMs = 2000) {
  const copied = ref(false)
  const failed = ref(false)
  let timer: ReturnType<typeof setTimeout> | undefined

  async function copy(text: string) {
    failed.value = false
    try {
      await navigator.clipboard.writeText(text)
      copied.value = true
      clearTimeout(timer)
      timer = setTimeout(() => (copied.value = false), resetAfterMs)
    } catch {
      // Without clipboard permission (plain http, old browser) the user can still select the text.
      failed.value = true
    }
  }

  return { copied, failed, copy }
}
