// Password hashes (argon2id on the host) kept in the plugin's kv, and the rules a new password must meet.
import type { AuthDenied } from "@streamspace/schemas"
import { crypto, kv } from "host:api"
import { now } from "./codec.ts"
import { deny } from "./outcomes.ts"
import { settings } from "./settings.ts"

interface PasswordRecord {
  hash: string
  setAt: number
}

const passwordKey = (userId: string) => `pw:${userId}`

/** Why a new password is refused, or null when it is acceptable; `field` names the input it came in. */
export function weakness(password: string, username: string, field = "password"): AuthDenied | null {
  const { minLength } = settings.password
  const weak = (reason: string) => deny("WEAK_PASSWORD", reason, { field })
  if ([...password].length < minLength) return weak(`The password must be at least ${minLength} characters long.`)
  if (password.trim() === "") return weak("The password must not be only spaces.")
  const name = username.toLowerCase()
  if (name.length >= 4 && password.toLowerCase().includes(name)) return weak("The password must not contain the username.")
  return null
}

export async function setPassword(userId: string, password: string): Promise<void> {
  const record: PasswordRecord = { hash: await crypto.hashPassword(password), setAt: await now() }
  await kv.set(passwordKey(userId), record)
}

export const hasPassword = async (userId: string): Promise<boolean> => (await kv.get(passwordKey(userId))) !== null

/**
 * Checks a password. A user without one (or no user at all) is checked against a stand-in hash, so
 * the answer takes as long as for a real account and timing does not tell which names exist.
 */
export async function checkPassword(userId: string | undefined, password: string): Promise<boolean> {
  const record = userId === undefined ? null : ((await kv.get(passwordKey(userId))) as PasswordRecord | null)
  if (record !== null) return crypto.verifyPassword(password, record.hash)
  await crypto.verifyPassword(password, await standInHash())
  return false
}

let standIn: string | undefined
const standInHash = async (): Promise<string> => {
  if (standIn !== undefined) return standIn
  const stored = (await kv.get("stand-in-hash")) as string | null
  if (stored !== null) standIn = stored
  else {
    standIn = await crypto.hashPassword(await crypto.randomBytes(32, "base64url"))
    await kv.set("stand-in-hash", standIn)
  }
  return standIn
}
