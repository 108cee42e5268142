// The answers every auth hook shares: a denial with a stable code, and the guard that turns a fault into one.
import type { AuthDenied } from "@streamspace/schemas"
import { log } from "host:api"

export const deny = (code: string, reason: string, extra: { retryAfterSeconds?: number; field?: string } = {}): AuthDenied => ({
  outcome: "deny",
  code,
  reason,
  ...extra,
})

export const INVALID_CREDENTIALS = () => deny("INVALID_CREDENTIALS", "The username or password is wrong.")

/**
 * A fault while deciding (a host call that failed, a full kv) denies this one request and is logged; it
 * does not throw, because a throwing plugin is stopped and then nobody could sign in until it is reloaded.
 */
export const guarded =
  <I, O>(hook: string, handler: (input: I) => Promise<O>) =>
  async (input: I): Promise<O | AuthDenied> => {
    try {
      return await handler(input)
    } catch (error) {
      const code = (error as { code?: unknown }).code
      await log.error(`${hook} failed: ${error instanceof Error ? error.message : String(error)}`, {
        code: typeof code === "string" ? code : undefined,
      })
      return deny("AUTH_UNAVAILABLE", "Signing in is not possible right now. Try again in a moment.")
    }
  }
