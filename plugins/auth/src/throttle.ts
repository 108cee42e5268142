// Failed-attempt counters: an account locks after too many failures, a client address is slowed down.
import type { AuthDenied } from "@streamspace/schemas"
import { kv } from "host:api"
import { digest, secondsUntil } from "./codec.ts"
import { deny } from "./outcomes.ts"
import { settings } from "./settings.ts"

interface Failures {
  count: number
  since: number
  lockedUntil?: number
}

/** Counted per name as typed (lower-cased), so unknown names lock the same way and reveal nothing. */
const accountKey = async (name: string) => `fa:${await digest(name.toLowerCase())}`
const addressKey = async (ip: string) => `fi:${await digest(ip)}`

const read = async (key: string, at: number, windowSeconds: number): Promise<Failures | null> => {
  const value = (await kv.get(key)) as Failures | null
  if (value === null) return null
  const lockedNow = value.lockedUntil !== undefined && value.lockedUntil > at
  return lockedNow || at - value.since < windowSeconds * 1000 ? value : null
}

/**
 * A denial when the account is locked or the address has failed too often; otherwise whether the
 * account has failures on record (a success then clears them; without any there is nothing to clear).
 */
export async function refusal(name: string, ip: string, at: number): Promise<AuthDenied | { failures: boolean }> {
  const { lockout, rateLimit } = settings
  const address = ip === "" ? null : await read(await addressKey(ip), at, rateLimit.windowSeconds)
  if (address !== null && address.count >= rateLimit.maxFailuresPerIp) {
    return deny("RATE_LIMITED", "Too many failed sign-ins from this address. Wait and try again.", {
      retryAfterSeconds: secondsUntil(address.since + rateLimit.windowSeconds * 1000, at),
    })
  }
  const account = await read(await accountKey(name), at, lockout.windowSeconds)
  if (account?.lockedUntil !== undefined && account.lockedUntil > at) return locked(account.lockedUntil, at)
  return { failures: account !== null }
}

const locked = (until: number, at: number) =>
  deny("ACCOUNT_LOCKED", "Too many failed sign-ins: this account is locked for a while. Try again later or ask an admin.", {
    retryAfterSeconds: secondsUntil(until, at),
  })

/** Records one failure; answers the lock denial when this failure locked the account. */
export async function recordFailure(name: string, ip: string, at: number): Promise<AuthDenied | null> {
  const { lockout, rateLimit } = settings
  if (ip !== "") {
    const key = await addressKey(ip)
    const address = (await read(key, at, rateLimit.windowSeconds)) ?? { count: 0, since: at }
    address.count++
    await kv.set(key, address, { ttlSeconds: secondsUntil(address.since + rateLimit.windowSeconds * 1000, at) })
  }
  const key = await accountKey(name)
  const account = (await read(key, at, lockout.windowSeconds)) ?? { count: 0, since: at }
  account.count++
  if (account.count >= lockout.maxFailures) {
    account.lockedUntil = at + lockout.lockoutSeconds * 1000
    await kv.set(key, account, { ttlSeconds: lockout.lockoutSeconds })
    return locked(account.lockedUntil, at)
  }
  await kv.set(key, account, { ttlSeconds: secondsUntil(account.since + lockout.windowSeconds * 1000, at) })
  return null
}

/** A successful sign-in (or a new password) starts the account's count again. */
export async function clearFailures(name: string): Promise<void> {
  await kv.delete(await accountKey(name))
}
