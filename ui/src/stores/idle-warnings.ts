// Sessions the hibernation plugin warned about: the viewer counts down to the deadline; any input
// (which the relay records as activity) or the plugin's withdrawal ends the warning.
import { defineStore } from "pinia"
import { reactive } from "vue"

export interface IdleWarning {
  action: "hibernate" | "stop"
  /** Epoch milliseconds. */
  deadline: number
}

export const useIdleWarningsStore = defineStore("idle-warnings", () => {
  const bySession = reactive(new Map<string, IdleWarning>())
  return {
    bySession,
    warn: (sessionId: string, warning: IdleWarning) => void bySession.set(sessionId, warning),
    clear: (sessionId: string) => void bySession.delete(sessionId),
  }
})
