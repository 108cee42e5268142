// A signed-in user changes their own password: the current one (and second factor) proved, counted like sign-in failures.
import type { AuthClient, AuthDenied, HookUser } from "@streamspace/schemas"
import { now } from "./codec.ts"
import { deny } from "./outcomes.ts"
import { checkPassword, hasPassword, setPassword, weakness } from "./passwords.ts"
import { revokeSignIns } from "./sign-ins.ts"
import { clearFailures, recordFailure, refusal } from "./throttle.ts"
import { checkSecondFactor } from "./totp.ts"

export interface PasswordChange {
  user: HookUser
  currentPassword: string
  newPassword: string
  totp?: string
  recoveryCode?: string
  keepSignInId?: string
  client: AuthClient
}

/**
 * Replaces the password and ends every other sign-in; answers how many ended. A wrong current password
 * or code counts against the account and the address exactly as a failed sign-in does, so a stolen
 * access token cannot be used to guess the password without the lockout.
 */
export async function changePassword(change: PasswordChange): Promise<{ revoked: number } | AuthDenied> {
  const { user, currentPassword, newPassword, client } = change
  if (!(await hasPassword(user.id)))
    return deny(
      "NO_LOCAL_PASSWORD",
      "This account has no StreamSpace password: you sign in through your identity provider, so change your password there.",
    )
  const at = await now()
  const throttle = await refusal(user.username, client.ip, at)
  if ("outcome" in throttle) return throttle
  // Judged before the current password is checked: a typo in the new one then costs no failed attempt.
  const weak = weakness(newPassword, user.username, "newPassword")
  if (weak !== null) return weak
  if (!(await checkPassword(user.id, currentPassword)))
    return (
      (await recordFailure(user.username, client.ip, at)) ??
      deny("CURRENT_PASSWORD_INVALID", "The current password is wrong.", { field: "currentPassword" })
    )
  // Only now, once the current password is proved: earlier it would tell a guesser their guess was right.
  if (newPassword === currentPassword)
    return deny("PASSWORD_UNCHANGED", "The new password must differ from the current one.", { field: "newPassword" })
  const second = await checkSecondFactor(user.id, user.username, change)
  if (second === "missing")
    return deny("TOTP_REQUIRED", "Two-factor sign-in is on: enter a code from your app, or a recovery code.", { field: "totp" })
  if (second !== null) return (await recordFailure(user.username, client.ip, at)) ?? second
  await setPassword(user.id, newPassword)
  const revoked = await revokeSignIns(user.id, undefined, change.keepSignInId)
  if (throttle.failures) await clearFailures(user.username)
  return { revoked }
}
