// Setting a password: first-run setup for the admin, and single-use, expiring invitation links for everyone else.
import type { AuthDenied, HookUser } from "@streamspace/schemas"
import { crypto, kv, users } from "host:api"
import { digest, iso, now } from "./codec.ts"
import { deny } from "./outcomes.ts"
import { setPassword, weakness } from "./passwords.ts"
import { settings } from "./settings.ts"
import { revokeSignIns } from "./sign-ins.ts"
import { clearFailures } from "./throttle.ts"

interface Invitation {
  userId: string
  expiresAt: number
}

const invitationKey = (hash: string) => `inv:${hash}`
/** The user's newest invitation: creating one withdraws the one before. */
const latestKey = (userId: string) => `invu:${userId}`

/** The core has checked the one-time setup token; the plugin only judges and stores the password. */
export async function setup(user: HookUser, password: string): Promise<AuthDenied | null> {
  const weak = weakness(password, user.username)
  if (weak !== null) return weak
  await setPassword(user.id, password)
  await clearFailures(user.username)
  return null
}

export async function invite(user: HookUser): Promise<{ token: string; expiresAt: string } | AuthDenied> {
  const current = await users.get(user.id)
  if (current === null) return deny("USER_NOT_FOUND", "That user does not exist.")
  if (current.disabled) return deny("ACCOUNT_DISABLED", "That account is disabled; enable it before inviting.")
  const previous = (await kv.get(latestKey(user.id))) as string | null
  if (previous !== null) await kv.delete(invitationKey(previous))
  const token = `ssi_${await crypto.randomBytes(32, "base64url")}`
  const hash = await digest(token)
  const at = await now()
  const invitation: Invitation = { userId: user.id, expiresAt: at + settings.invitation.ttlSeconds * 1000 }
  const ttlSeconds = settings.invitation.ttlSeconds
  await kv.set(invitationKey(hash), invitation, { ttlSeconds })
  await kv.set(latestKey(user.id), hash, { ttlSeconds })
  return { token, expiresAt: iso(invitation.expiresAt) }
}

const INVITATION_INVALID = () =>
  deny("INVITATION_INVALID", "This invitation link is invalid, already used or expired. Ask an admin for a new one.", {
    field: "token",
  })

/**
 * Sets the password an invitation was for and uses the invitation up. It also works as a reset link for
 * an account that had a password: its sign-ins end and its failed-attempt count starts again.
 */
export async function acceptInvitation(token: string, password: string): Promise<{ userId: string } | AuthDenied> {
  const hash = await digest(token)
  const invitation = (await kv.get(invitationKey(hash))) as Invitation | null
  if (invitation === null || invitation.expiresAt <= (await now())) return INVITATION_INVALID()
  const user = await users.get(invitation.userId)
  if (user === null || user.disabled) return INVITATION_INVALID()
  const weak = weakness(password, user.username)
  if (weak !== null) return weak
  // Used up before the password is stored: a second, concurrent use finds nothing.
  if (!(await kv.delete(invitationKey(hash)))) return INVITATION_INVALID()
  await kv.delete(latestKey(user.id))
  await setPassword(user.id, password)
  await revokeSignIns(user.id)
  await clearFailures(user.username)
  return { userId: user.id }
}
