// Sign-ins as refresh-token families: issue, rotate with reuse detection, revoke, list.
import type { AuthClient, AuthDenied, AuthGranted, SignInMethod, SignInSummary } from "@streamspace/schemas"
import { crypto, kv, log, users } from "host:api"
import { iso, now, sameText, secondsUntil } from "./codec.ts"
import { deny } from "./outcomes.ts"
import { settings } from "./settings.ts"

/**
 * One family: the refresh token of generation `gen` is `ssr_<id>.<gen>.<HMAC(key, id.gen)>`. Only the
 * newest generation is accepted; an older one that carries a valid MAC was really issued, so it is
 * being replayed and the whole family is revoked. Tokens are derived, not stored: one record per
 * sign-in, and two tabs refreshing the same generation at once both get the same next token.
 */
interface SignInRecord {
  userId: string
  key: string
  gen: number
  method: SignInMethod
  createdAt: number
  lastUsedAt: number
  expiresAt: number
  ip: string
  userAgent: string
}

const recordKey = (id: string) => `si:${id}`
const userIndexPrefix = (userId: string) => `su:${userId}:`
const TOKEN = /^ssr_([A-Za-z0-9_-]{16,64})\.([1-9][0-9]{0,8})\.([A-Za-z0-9_-]{43})$/

const mac = (record: SignInRecord, id: string, gen: number) => crypto.hmac("sha256", record.key, `${id}.${gen}`, "base64url")

const tokenOf = async (record: SignInRecord, id: string) => `ssr_${id}.${record.gen}.${await mac(record, id, record.gen)}`

/** The record lives until its idle or absolute expiry, whichever comes first; each refresh moves the idle one. */
const save = (id: string, record: SignInRecord, at: number) =>
  kv.set(recordKey(id), record, {
    ttlSeconds: secondsUntil(Math.min(record.expiresAt, record.lastUsedAt + settings.signIn.idleSeconds * 1000), at),
  })

const granted = async (id: string, record: SignInRecord): Promise<AuthGranted> => ({
  outcome: "allow",
  userId: record.userId,
  signIn: { id, refreshToken: await tokenOf(record, id), expiresAt: iso(record.expiresAt) },
})

export async function startSignIn(userId: string, method: SignInMethod, client: AuthClient): Promise<AuthGranted> {
  const at = await now()
  const id = await crypto.randomBytes(16, "base64url")
  const record: SignInRecord = {
    userId,
    key: await crypto.randomBytes(32, "hex"),
    gen: 1,
    method,
    createdAt: at,
    lastUsedAt: at,
    expiresAt: at + settings.signIn.ttlSeconds * 1000,
    ip: client.ip,
    userAgent: client.userAgent,
  }
  await save(id, record, at)
  // The user's index entry is written once, to the absolute expiry: a refresh rewrites only the record.
  await kv.set(`${userIndexPrefix(userId)}${id}`, 1, { ttlSeconds: secondsUntil(record.expiresAt, at) })
  return granted(id, record)
}

export async function revokeSignIn(id: string, userId: string): Promise<boolean> {
  await kv.delete(`${userIndexPrefix(userId)}${id}`)
  return kv.delete(recordKey(id))
}

/** The sign-in a token names, if its MAC is right: `current` is false for an older generation. */
async function resolve(token: string): Promise<{ id: string; record: SignInRecord; current: boolean } | null> {
  const match = TOKEN.exec(token)
  if (match === null) return null
  const [, id = "", genText = "", presented = ""] = match
  const record = (await kv.get(recordKey(id))) as SignInRecord | null
  const gen = Number(genText)
  if (record === null || gen > record.gen || !sameText(presented, await mac(record, id, gen))) return null
  return { id, record, current: gen === record.gen }
}

const INVALID = "This sign-in is no longer valid. Sign in again."

export async function rotate(token: string, client: AuthClient): Promise<AuthGranted | AuthDenied> {
  const found = await resolve(token)
  if (found === null) return deny("REFRESH_INVALID", INVALID)
  const { id, record } = found
  if (!found.current) {
    await revokeSignIn(id, record.userId)
    await log.warn("A refresh token was used twice; its sign-in was revoked.", { userId: record.userId, signInId: id })
    return deny("REFRESH_REUSED", "This refresh token was already used, so the sign-in was ended for safety. Sign in again.")
  }
  const at = await now()
  if (at >= record.expiresAt || at >= record.lastUsedAt + settings.signIn.idleSeconds * 1000) {
    await revokeSignIn(id, record.userId)
    return deny("SIGN_IN_EXPIRED", "This sign-in has expired. Sign in again.")
  }
  const user = await users.get(record.userId)
  if (user === null || user.disabled) {
    await revokeSignIn(id, record.userId)
    return deny("ACCOUNT_DISABLED", "This account is disabled. Ask an admin.")
  }
  const next: SignInRecord = { ...record, gen: record.gen + 1, lastUsedAt: at, ip: client.ip, userAgent: client.userAgent }
  await save(id, next, at)
  return granted(id, next)
}

/** Ends the sign-in a refresh token belongs to; an unknown token ends nothing and is not an error. */
export async function signOut(token: string): Promise<{ userId?: string; signInId?: string }> {
  const found = await resolve(token)
  if (found === null) return {}
  await revokeSignIn(found.id, found.record.userId)
  return { userId: found.record.userId, signInId: found.id }
}

const signInIds = async (userId: string): Promise<string[]> => {
  const prefix = userIndexPrefix(userId)
  return (await kv.list(prefix, 1000)).map((key) => key.slice(prefix.length))
}

export async function listSignIns(userId: string): Promise<SignInSummary[]> {
  const out: SignInSummary[] = []
  for (const id of await signInIds(userId)) {
    const record = (await kv.get(recordKey(id))) as SignInRecord | null
    if (record === null || record.userId !== userId) continue
    out.push({
      id,
      method: record.method,
      createdAt: iso(record.createdAt),
      lastUsedAt: iso(record.lastUsedAt),
      expiresAt: iso(record.expiresAt),
      ip: record.ip,
      userAgent: record.userAgent,
    })
  }
  return out.sort((a, b) => b.lastUsedAt.localeCompare(a.lastUsedAt))
}

/**
 * Revokes one of the user's sign-ins, or all of them when `id` is absent (but `except`, the caller's own
 * sign-in after a password change); answers how many ended.
 */
export async function revokeSignIns(userId: string, id?: string, except?: string): Promise<number> {
  const ids = id === undefined ? await signInIds(userId) : [id]
  let revoked = 0
  for (const one of ids) {
    if (one === except) continue
    const record = (await kv.get(recordKey(one))) as SignInRecord | null
    if (record?.userId === userId && (await revokeSignIn(one, userId))) revoked++
  }
  return revoked
}
