// Routes under /api/v1/auth: sign-in, refresh, sign-out, setup, invitations, password change, TOTP, active sign-ins, OIDC.
import {
  AcceptInvitation,
  ActiveSignIn,
  AuthMethods,
  AuthStatus,
  ChangePasswordRequest,
  CreateInvitation,
  Invitation,
  RecoveryCodes,
  RefreshRequest,
  RevokedSignIns,
  SetupRequest,
  SignInIdParams,
  SignInRequest,
  TokenResponse,
  TotpCodeRequest,
  TotpDisableRequest,
  TotpEnrolment,
  User,
} from "@streamspace/schemas"
import { Elysia, t } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import * as accounts from "./account-service.ts"
import { clearedRefreshCookie, refreshCookie } from "./cookies.ts"
import { type AuthRouteOptions, clientOf, refreshTokenOf } from "./request-info.ts"
import { oidcRoutes } from "./oidc-routes.ts"
import * as auth from "./service.ts"
import { setupCompleted } from "./setup-token.ts"

export type { AuthRouteOptions }

/** The sign-in id (sid) of the access token this request carries, to mark the current sign-in. */
const currentSignIn = async (deps: CoreDeps, authorization: string | undefined) => {
  const token = /^Bearer\s+(\S+)$/i.exec(authorization ?? "")?.[1]
  return token === undefined ? undefined : (await deps.tokens.verify(token))?.sid
}

const tags = ["auth"]

export const authRoutes = (deps: CoreDeps, http: HttpPlugins, options: AuthRouteOptions) =>
  new Elysia({ name: "auth", prefix: "/api/v1/auth" })
    .use(http)
    .get(
      "/methods",
      async () => ({
        setupRequired: !(await setupCompleted(deps.sql)),
        password: true,
        oidc: options.oidc ? { name: options.oidc.name, startUrl: "/api/v1/auth/oidc/start" } : null,
      }),
      { response: { 200: AuthMethods }, detail: { summary: "How users can sign in here", tags } },
    )
    .post(
      "/sign-in",
      async ({ body, request, server, set, audit }) => {
        audit.targetType = "user"
        // The name as typed (never the password); PostgreSQL refuses U+0000 in JSON, so it is dropped.
        audit.detail = { username: body.username.replaceAll("\u0000", "").slice(0, 64) }
        const tokens = await auth.signIn(deps, body, clientOf(request, server))
        audit.targetId = tokens.user.id
        set.headers["set-cookie"] = refreshCookie(tokens.refreshToken, tokens.refreshExpiresAt, options.cookies)
        return tokens
      },
      {
        audit: "auth.signIn",
        body: SignInRequest,
        response: { 200: TokenResponse },
        detail: { summary: "Sign in with a password (and a TOTP or recovery code when two-factor is on)", tags },
      },
    )
    .post(
      "/refresh",
      async ({ body, request, server, set }) => {
        const tokens = await auth.refresh(deps, refreshTokenOf(request, body), clientOf(request, server))
        set.headers["set-cookie"] = refreshCookie(tokens.refreshToken, tokens.refreshExpiresAt, options.cookies)
        return tokens
      },
      {
        audit: "auth.refresh",
        body: t.Optional(RefreshRequest),
        response: { 200: TokenResponse },
        detail: { summary: "Trade a refresh token for a new access token and a new refresh token", tags },
      },
    )
    .post(
      "/sign-out",
      async ({ body, request, set }) => {
        await auth.signOut(deps, refreshTokenOf(request, body))
        set.headers["set-cookie"] = clearedRefreshCookie(options.cookies)
        set.status = 204
      },
      {
        audit: "auth.signOut",
        body: t.Optional(RefreshRequest),
        detail: { summary: "End the sign-in the refresh token belongs to", tags },
      },
    )
    .post("/setup", ({ body }) => accounts.setup(deps, body), {
      audit: "auth.setup",
      body: SetupRequest,
      response: { 200: User },
      detail: { summary: "First run: set the first admin's password with the one-time setup token", tags },
    })
    .post(
      "/invitations",
      async ({ body, user, request, set, audit }) => {
        audit.targetType = "user"
        audit.targetId = body.userId
        set.status = 201
        return accounts.createInvitation(deps, user, body.userId, options.publicUrl ?? new URL(request.url).origin)
      },
      {
        auth: "admin",
        audit: "auth.invitation.create",
        body: CreateInvitation,
        response: { 201: Invitation },
        detail: { summary: "A single-use, expiring link for a user to set a password (also a reset link)", tags },
      },
    )
    .post("/invitations/accept", ({ body }) => accounts.acceptInvitation(deps, body), {
      audit: "auth.invitation.accept",
      body: AcceptInvitation,
      response: { 200: User },
      detail: { summary: "Set a password with an invitation token", tags },
    })
    .post(
      "/password",
      async ({ user, body, headers, request, server, audit }) => {
        audit.targetType = "user"
        audit.targetId = user.id
        const current = await currentSignIn(deps, headers.authorization)
        return accounts.changePassword(deps, user, body, current, clientOf(request, server))
      },
      {
        auth: "user",
        audit: "auth.password.change",
        body: ChangePasswordRequest,
        response: { 200: RevokedSignIns },
        detail: {
          summary: "Change your own password (with a TOTP or recovery code when two-factor is on); your other sign-ins end",
          tags,
        },
      },
    )
    .get("/status", ({ user }) => accounts.status(deps, user), {
      auth: "user",
      response: { 200: AuthStatus },
      detail: { summary: "The caller's password and two-factor state", tags },
    })
    .post("/totp/enrol", ({ user }) => accounts.enrolTotp(deps, user), {
      auth: "user",
      audit: "auth.totp.enrol",
      response: { 200: TotpEnrolment },
      detail: { summary: "Start two-factor enrolment: a secret and its otpauth:// URI for a QR code", tags },
    })
    .post("/totp/verify", ({ user, body }) => accounts.verifyTotp(deps, user, body.totp), {
      auth: "user",
      audit: "auth.totp.verify",
      body: TotpCodeRequest,
      response: { 200: RecoveryCodes },
      detail: { summary: "Confirm enrolment with a first code; answers the recovery codes (shown once)", tags },
    })
    .post(
      "/totp/disable",
      async ({ user, body, set }) => {
        await accounts.disableTotp(deps, user, body)
        set.status = 204
      },
      {
        auth: "user",
        audit: "auth.totp.disable",
        body: TotpDisableRequest,
        detail: { summary: "Turn two-factor off, with a current code or a recovery code", tags },
      },
    )
    .post("/recovery-codes", ({ user, body }) => accounts.newRecoveryCodes(deps, user, body.totp), {
      auth: "user",
      audit: "auth.recoveryCodes",
      body: TotpCodeRequest,
      response: { 200: RecoveryCodes },
      detail: { summary: "Replace the recovery codes (the old ones stop working)", tags },
    })
    .get(
      "/sign-ins",
      async ({ user, headers }) => accounts.listSignIns(deps, user, await currentSignIn(deps, headers.authorization)),
      {
        auth: "user",
        response: { 200: t.Array(ActiveSignIn) },
        detail: { summary: "The caller's active sign-ins (devices)", tags },
      },
    )
    .delete(
      "/sign-ins/:id",
      async ({ user, params, set }) => {
        await accounts.revokeSignIn(deps, user, params.id)
        set.status = 204
      },
      {
        auth: "user",
        audit: "auth.signIns.revoke",
        params: SignInIdParams,
        detail: { summary: "End one of the caller's sign-ins", tags },
      },
    )
    .delete("/sign-ins", async ({ user }) => ({ revoked: await accounts.revokeAllSignIns(deps, user) }), {
      auth: "user",
      audit: "auth.signIns.revokeAll",
      response: { 200: RevokedSignIns },
      detail: { summary: "End all of the caller's sign-ins", tags },
    })
    .use(oidcRoutes(deps, options))
