// Sign-in, refresh and sign-out: the auth plugin decides, the core signs the access token.
import type {
  AuthClient,
  AuthDenied,
  AuthGranted,
  AuthHookName,
  HookInput,
  HookOutput,
  HookUser,
  OidcProfile,
  SignInRequest,
  TokenResponse,
} from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import type { Principal } from "../identity/principal.ts"
import { getActiveUser, recordSignIn, recordSignOut } from "../users/service.ts"
import { AuthRefused } from "./errors.ts"

/** Asks the auth plugin; refuses when no auth plugin is enabled. */
export function ask<H extends AuthHookName>(deps: CoreDeps, hook: H, input: HookInput<H>): Promise<HookOutput<H>> {
  if (deps.authPolicy === undefined)
    throw new AuthRefused("AUTH_PLUGIN_MISSING", "No sign-in plugin is enabled. An admin can install streamspace.auth.")
  return deps.authPolicy.ask(hook, input)
}

/**
 * The plugin's answer without its denial: a denial is thrown as the matching problem (`signedIn`: the
 * caller's own account routes, where a wrong code is 403 — see AuthRefused).
 */
export function accepted<T extends { outcome: string }>(
  answer: T | AuthDenied,
  options: { signedIn?: boolean } = {},
): Exclude<T, AuthDenied> {
  if (answer.outcome === "deny") throw AuthRefused.from(answer as AuthDenied, options)
  return answer as Exclude<T, AuthDenied>
}

export const hookUser = (p: Pick<Principal, "id" | "username" | "role">): HookUser => ({
  id: p.id,
  username: p.username,
  role: p.role,
})

/** Signs the access token for a granted sign-in; `fresh` names a new sign-in's method (absent: a refresh). */
async function tokensFor(deps: CoreDeps, granted: AuthGranted, fresh?: "password" | "oidc"): Promise<TokenResponse> {
  const user = await getActiveUser(deps, granted.userId)
  if (user === null) {
    await ask(deps, "auth.signOut", { refreshToken: granted.signIn.refreshToken })
    throw new AuthRefused("ACCOUNT_DISABLED", "This account is disabled. Ask an admin.")
  }
  const { accessToken, expiresIn } = await deps.tokens.issue({
    sub: user.id,
    role: user.role,
    name: user.username,
    sid: granted.signIn.id,
  })
  if (fresh) await recordSignIn(deps, user, fresh)
  return {
    accessToken,
    tokenType: "Bearer",
    expiresIn,
    refreshToken: granted.signIn.refreshToken,
    refreshExpiresAt: granted.signIn.expiresAt,
    signInId: granted.signIn.id,
    user,
  }
}

export async function signIn(deps: CoreDeps, body: SignInRequest, client: AuthClient): Promise<TokenResponse> {
  const answer = await ask(deps, "auth.signIn", { ...body, client })
  if (answer.outcome === "mfa_required") throw new AuthRefused("MFA_REQUIRED", answer.reason, { field: "totp" })
  return tokensFor(deps, accepted(answer), "password")
}

export async function refresh(deps: CoreDeps, refreshToken: string | undefined, client: AuthClient): Promise<TokenResponse> {
  if (refreshToken === undefined)
    throw new AuthRefused("REFRESH_MISSING", "Send the refresh token in the body or the cookie. Sign in again if you have none.")
  return tokensFor(deps, accepted(await ask(deps, "auth.refresh", { refreshToken, client })))
}

export async function signOut(deps: CoreDeps, refreshToken: string | undefined): Promise<void> {
  if (refreshToken === undefined) return
  const answer = accepted(await ask(deps, "auth.signOut", { refreshToken }))
  deps.principals.forget()
  if (answer.userId !== undefined) await recordSignOut(deps, answer.userId)
}

export async function oidcSignIn(deps: CoreDeps, profile: OidcProfile, client: AuthClient): Promise<TokenResponse> {
  const answer = accepted(await ask(deps, "auth.oidcProfile", { profile, client }))
  // Provisioning may have created the user or changed its role: cached principals must see it.
  deps.principals.forget()
  return tokensFor(deps, answer, "oidc")
}
