// Reconnect delays: exponential from ~100 ms, capped, with jitter so that agents do not return in lockstep.

export interface BackoffOptions {
  initialMs: number
  maxMs: number
  random?: () => number
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 3_000 }

/**
 * "Equal jitter": half the step is fixed and half random, so a retry never comes immediately
 * (which would hammer a control plane that is coming back) and never all at the same moment.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = DEFAULT_BACKOFF): number {
  const step = Math.min(options.maxMs, options.initialMs * 2 ** Math.max(0, attempt))
  return Math.round(step / 2 + (options.random ?? Math.random)() * (step / 2))
}
