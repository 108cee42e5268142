// Password set-up (first-run setup, invitations) and change, TOTP and the list of active sign-ins, all decided by the auth plugin.
import type {
  AcceptInvitation,
  ActiveSignIn,
  AuthClient,
  AuthStatus,
  ChangePasswordRequest,
  Invitation,
  SetupRequest,
  User,
} from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import type { Principal } from "../identity/principal.ts"
import { getActiveUser, getUser } from "../users/service.ts"
import { AuthRefused } from "./errors.ts"
import { accepted, ask, hookUser } from "./service.ts"
import { claimSetupToken, completeSetup, restoreSetupToken } from "./setup-token.ts"

/** The caller is signed in on these routes: a wrong code or password is 403, never the 401 that means "sign in again". */
const SIGNED_IN = { signedIn: true }

/** The setup token proves the caller is the first admin; the plugin sets the password. The token then is spent. */
export async function setup(deps: CoreDeps, body: SetupRequest): Promise<User> {
  const token = await claimSetupToken(deps.sql, body.token)
  try {
    const admin = await getActiveUser(deps, token.userId)
    if (admin === null) throw new AuthRefused("SETUP_TOKEN_INVALID", "The account this setup token was for is gone.")
    accepted(await ask(deps, "auth.setup", { user: hookUser(admin), password: body.password }))
    await completeSetup(deps.sql)
    return admin
  } catch (error) {
    // A refused password (or a plugin that could not answer) must not cost the admin the token.
    await restoreSetupToken(deps.sql, token)
    throw error
  }
}

export async function createInvitation(deps: CoreDeps, admin: Principal, userId: string, publicUrl: string): Promise<Invitation> {
  const user = await getUser(deps, userId)
  const answer = accepted(await ask(deps, "auth.invitation.create", { user: hookUser(user), invitedBy: hookUser(admin) }))
  const url = new URL("/invitation", publicUrl)
  // The token travels in the fragment: it is not sent to servers or kept in their logs.
  url.hash = `token=${answer.token}`
  return { userId: user.id, token: answer.token, url: url.toString(), expiresAt: answer.expiresAt }
}

export async function acceptInvitation(deps: CoreDeps, body: AcceptInvitation): Promise<User> {
  const answer = accepted(await ask(deps, "auth.invitation.accept", body))
  return getUser(deps, answer.userId)
}

/**
 * The signed-in caller replaces their password; every other sign-in ends, the one this request came
 * from (`currentSignInId`, absent for an API key) stays. Answers how many ended.
 */
export async function changePassword(
  deps: CoreDeps,
  user: Principal,
  body: ChangePasswordRequest,
  currentSignInId: string | undefined,
  client: AuthClient,
): Promise<{ revoked: number }> {
  const answer = await ask(deps, "auth.password.change", {
    ...body,
    user: hookUser(user),
    client,
    ...(currentSignInId === undefined ? {} : { keepSignInId: currentSignInId }),
  })
  const { revoked } = accepted(answer, SIGNED_IN)
  deps.principals.forget() // the ended sign-ins' access tokens stop working here at once
  return { revoked }
}

export async function status(deps: CoreDeps, user: Principal): Promise<AuthStatus> {
  const { outcome: _, ...rest } = accepted(await ask(deps, "auth.status", { user: hookUser(user) }))
  return rest
}

export async function enrolTotp(deps: CoreDeps, user: Principal) {
  const { secret, uri } = accepted(await ask(deps, "auth.totp.enrol", { user: hookUser(user) }))
  return { secret, uri }
}

export async function verifyTotp(deps: CoreDeps, user: Principal, totp: string) {
  const { recoveryCodes } = accepted(await ask(deps, "auth.totp.verify", { user: hookUser(user), totp }), SIGNED_IN)
  return { recoveryCodes }
}

export async function disableTotp(deps: CoreDeps, user: Principal, factor: { totp?: string; recoveryCode?: string }) {
  accepted(await ask(deps, "auth.totp.disable", { user: hookUser(user), ...factor }), SIGNED_IN)
}

export async function newRecoveryCodes(deps: CoreDeps, user: Principal, totp: string) {
  const { recoveryCodes } = accepted(await ask(deps, "auth.recoveryCodes", { user: hookUser(user), totp }), SIGNED_IN)
  return { recoveryCodes }
}

export async function listSignIns(deps: CoreDeps, user: Principal, currentId: string | undefined): Promise<ActiveSignIn[]> {
  const { signIns } = accepted(await ask(deps, "auth.signIns.list", { user: hookUser(user) }))
  return signIns.map((s) => ({ ...s, current: s.id === currentId }))
}

export async function revokeSignIn(deps: CoreDeps, user: Principal, signInId: string): Promise<void> {
  const { revoked } = accepted(await ask(deps, "auth.signIns.revoke", { user: hookUser(user), signInId }))
  if (revoked === 0) throw new AuthRefused("SIGN_IN_NOT_FOUND", "That sign-in was not found; it may have ended already.")
  deps.principals.forget()
}

export async function revokeAllSignIns(deps: CoreDeps, user: Principal): Promise<number> {
  const { revoked } = accepted(await ask(deps, "auth.signIns.revoke", { user: hookUser(user) }))
  deps.principals.forget()
  return revoked
}
