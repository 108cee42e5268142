// Refreshing a cookie sign-in: one refresh at a time across this browser's tabs, and when to do the next.
import type { TokenResponse } from "@streamspace/schemas"
import { call } from "@/api/client.ts"

/**
 * The refresh cookie rotates on every use and a reused one ends the whole sign-in (the server's
 * theft detection). Two tabs refreshing at the same moment would send the same cookie twice, so
 * refreshes take a browser-wide lock (Web Locks, available on https and localhost); each then
 * sends the newest cookie. Without Web Locks, one refresh at a time per tab still holds.
 */
export async function refreshSession(): Promise<TokenResponse> {
  // `true`: a 401 here is the answer, not a reason to refresh again.
  const run = () => call((api) => api.auth.refresh.post(undefined), true)
  const locks = typeof navigator !== "undefined" ? navigator.locks : undefined
  return locks ? locks.request("streamspace.refresh", run) : run()
}

/** Refresh a minute before expiry (a tenth of the lifetime for short ones), never sooner than in 5 s. */
export function refreshDelayMs(expiresInSeconds: number): number {
  const margin = Math.min(60, expiresInSeconds / 10)
  return Math.max(5_000, (expiresInSeconds - margin) * 1000)
}
