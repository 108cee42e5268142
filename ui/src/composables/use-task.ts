// Runs one async job for a page or a button and exposes its state: idle → loading → ready | error.
import { ref, shallowRef } from "vue"
import { type ApiError, asApiError } from "@/api/problem.ts"

export type TaskState = "idle" | "loading" | "ready" | "error"

export function useTask<Args extends unknown[], T>(job: (...args: Args) => Promise<T>) {
  const state = ref<TaskState>("idle")
  const error = shallowRef<ApiError | null>(null)
  let latest = 0

  /** Resolves to the job's result, or undefined when it failed (the error is in `error`). */
  async function run(...args: Args): Promise<T | undefined> {
    const mine = ++latest
    state.value = "loading"
    error.value = null
    try {
      const result = await job(...args)
      // Only the latest run decides the state: an older, slower answer must not overwrite a newer one.
      if (mine === latest) state.value = "ready"
      return result
    } catch (e) {
      if (mine === latest) {
        error.value = asApiError(e)
        state.value = "error"
      }
      return undefined
    }
  }

  function reset() {
    state.value = "idle"
    error.value = null
  }

  return { state, error, run, reset }
}
