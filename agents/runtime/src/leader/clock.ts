// The real clock for LeaseElector: monotonic time, host timers.
import type { Clock } from "./leader-elector.ts"

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
}
