// Failed-attempt counters: an account locks after too many failures, a client address is slowed down.
import type { AuthDenied } from "@streamspace/schemas"
import { kv } from "host:api"
import { digest, secondsUntil } from "./codec.ts"
import { deny } from "./outcomes.ts"
import { settings } from "./settings.ts"

/**
 * Counted per name as typed (lower-cased), so unknown names lock the same way and reveal nothing.
 * Counters use the host's atomic increment: parallel guesses each count (a read-then-write counter
 * let a burst of them slip past the limit). Windows are fixed by the first failure and kept by the
 * host's TTL.
 */
const accountKey = async (name: string) => `fa:${await digest(name.toLowerCase())}`
const lockKey = async (name: string) => `fl:${await digest(name.toLowerCase())}`
const addressKey = async (ip: string) => `fi:${await digest(ip)}`
/** When the address's window began: its Retry-After is the rest of that window. */
const addressSinceKey = async (ip: string) => `fs:${await digest(ip)}`

/**
 * A denial when the account is locked or the address has failed too often; otherwise whether the
 * account has failures on record (a success then clears them; without any there is nothing to clear).
 */
export async function refusal(name: string, ip: string, at: number): Promise<AuthDenied | { failures: boolean }> {
  const { rateLimit } = settings
  if (ip !== "") {
    const count = ((await kv.get(await addressKey(ip))) as number | null) ?? 0
    if (count >= rateLimit.maxFailuresPerIp) {
      const since = ((await kv.get(await addressSinceKey(ip))) as number | null) ?? at
      return deny("RATE_LIMITED", "Too many failed sign-ins from this address. Wait and try again.", {
        retryAfterSeconds: secondsUntil(since + rateLimit.windowSeconds * 1000, at),
      })
    }
  }
  const lockedUntil = (await kv.get(await lockKey(name))) as number | null
  if (lockedUntil !== null && lockedUntil > at) return locked(lockedUntil, at)
  return { failures: (await kv.get(await accountKey(name))) !== null }
}

const locked = (until: number, at: number) =>
  deny("ACCOUNT_LOCKED", "Too many failed sign-ins: this account is locked for a while. Try again later or ask an admin.", {
    retryAfterSeconds: secondsUntil(until, at),
  })

/** Records one failure; answers the lock denial when this failure locked the account. */
export async function recordFailure(name: string, ip: string, at: number): Promise<AuthDenied | null> {
  const { lockout, rateLimit } = settings
  if (ip !== "") {
    const count = await kv.increment(await addressKey(ip), 1, { ttlSeconds: rateLimit.windowSeconds })
    if (count === 1) await kv.set(await addressSinceKey(ip), at, { ttlSeconds: rateLimit.windowSeconds })
  }
  const key = await accountKey(name)
  const count = await kv.increment(key, 1, { ttlSeconds: lockout.windowSeconds })
  if (count < lockout.maxFailures) return null
  const lockedUntil = at + lockout.lockoutSeconds * 1000
  await kv.set(await lockKey(name), lockedUntil, { ttlSeconds: lockout.lockoutSeconds })
  // Counting starts again once the lock ends.
  await kv.delete(key)
  return locked(lockedUntil, at)
}

/** A successful sign-in (or a new password) starts the account's count again. */
export async function clearFailures(name: string): Promise<void> {
  await kv.delete(await accountKey(name))
}
