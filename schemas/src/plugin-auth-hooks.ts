// Hooks of the auth plugin: the sign-in decisions the core asks for; the core then signs the access token itself.
import { type Static, type TSchema, Type } from "@sinclair/typebox"
import { Timestamp, Uuid } from "./common.ts"
import { HookUser as AuthUser } from "./plugin-hook-user.ts"

export const Password = Type.String({ minLength: 1, maxLength: 1024 })
export const TotpCode = Type.String({ minLength: 6, maxLength: 10, pattern: "^[0-9]+$" })
export const RecoveryCode = Type.String({ minLength: 8, maxLength: 64 })
export const RefreshToken = Type.String({ minLength: 1, maxLength: 512 })
export const SignInId = Type.String({ pattern: "^[A-Za-z0-9_-]{16,64}$", description: "One sign-in: a refresh-token family" })
export const SignInMethod = Type.Union([Type.Literal("password"), Type.Literal("oidc")])
export type SignInMethod = Static<typeof SignInMethod>

/** Where a request came from, for rate limits and the list of active sign-ins. */
export const AuthClient = Type.Object({
  ip: Type.String({ maxLength: 64 }),
  userAgent: Type.String({ maxLength: 512 }),
})
export type AuthClient = Static<typeof AuthClient>

const Code = Type.String({ pattern: "^[A-Z][A-Z0-9_]{0,63}$", description: "Stable SCREAMING_SNAKE code" })

export const AuthDenied = Type.Object(
  {
    outcome: Type.Literal("deny"),
    code: Code,
    reason: Type.String({ maxLength: 2000, description: "Shown to the user" }),
    retryAfterSeconds: Type.Optional(Type.Integer({ minimum: 1 })),
    field: Type.Optional(Type.String({ maxLength: 64, description: "The input field at fault, when there is one" })),
  },
  { additionalProperties: false },
)
export type AuthDenied = Static<typeof AuthDenied>

const ok = <P extends Parameters<typeof Type.Object>[0]>(props: P) =>
  Type.Union([Type.Object({ outcome: Type.Literal("ok"), ...props }, { additionalProperties: false }), AuthDenied])

/** A new or rotated sign-in: the core signs an access token for `userId` with `signIn.id` as its sid. */
export const AuthGranted = Type.Object(
  {
    outcome: Type.Literal("allow"),
    userId: Uuid,
    signIn: Type.Object({ id: SignInId, refreshToken: RefreshToken, expiresAt: Timestamp }, { additionalProperties: false }),
  },
  { additionalProperties: false },
)
export type AuthGranted = Static<typeof AuthGranted>

export const AuthMfaRequired = Type.Object(
  { outcome: Type.Literal("mfa_required"), reason: Type.String({ maxLength: 2000 }) },
  { additionalProperties: false },
)

export const SignInInput = Type.Object({
  username: Type.String({ minLength: 1, maxLength: 254, description: "Username or email" }),
  password: Password,
  totp: Type.Optional(TotpCode),
  recoveryCode: Type.Optional(RecoveryCode),
  client: AuthClient,
})
export type SignInInput = Static<typeof SignInInput>
export const SignInOutput = Type.Union([AuthGranted, AuthMfaRequired, AuthDenied])

export const RefreshInput = Type.Object({ refreshToken: RefreshToken, client: AuthClient })
export const RefreshOutput = Type.Union([AuthGranted, AuthDenied])

/** Claims of a verified ID token, picked by the core; `groups` holds the values of the configured role claim. */
export const OidcProfile = Type.Object({
  issuer: Type.String({ minLength: 1, maxLength: 512 }),
  subject: Type.String({ minLength: 1, maxLength: 255 }),
  email: Type.Optional(Type.String({ maxLength: 254 })),
  emailVerified: Type.Optional(Type.Boolean()),
  name: Type.Optional(Type.String({ maxLength: 256 })),
  preferredUsername: Type.Optional(Type.String({ maxLength: 256 })),
  groups: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 256 }),
})
export type OidcProfile = Static<typeof OidcProfile>

export const SignInSummary = Type.Object(
  {
    id: SignInId,
    method: SignInMethod,
    createdAt: Timestamp,
    lastUsedAt: Timestamp,
    expiresAt: Timestamp,
    ip: Type.String({ maxLength: 64 }),
    userAgent: Type.String({ maxLength: 512 }),
  },
  { additionalProperties: false },
)
export type SignInSummary = Static<typeof SignInSummary>

const RecoveryCodes = Type.Array(Type.String({ maxLength: 64 }), { maxItems: 64 })

export const AUTH_HOOK_SHAPES = {
  "auth.setup": { input: Type.Object({ user: AuthUser, password: Password }), output: ok({}) },
  "auth.signIn": { input: SignInInput, output: SignInOutput },
  "auth.refresh": { input: RefreshInput, output: RefreshOutput },
  "auth.signOut": {
    input: Type.Object({ refreshToken: RefreshToken }),
    output: ok({ userId: Type.Optional(Uuid), signInId: Type.Optional(SignInId) }),
  },
  "auth.invitation.create": {
    input: Type.Object({ user: AuthUser, invitedBy: AuthUser }),
    output: ok({ token: Type.String({ minLength: 16, maxLength: 256 }), expiresAt: Timestamp }),
  },
  "auth.invitation.accept": {
    input: Type.Object({ token: Type.String({ minLength: 1, maxLength: 256 }), password: Password }),
    output: ok({ userId: Uuid }),
  },
  "auth.totp.enrol": {
    input: Type.Object({ user: AuthUser }),
    output: ok({ secret: Type.String({ maxLength: 128 }), uri: Type.String({ maxLength: 2048 }) }),
  },
  "auth.totp.verify": { input: Type.Object({ user: AuthUser, totp: TotpCode }), output: ok({ recoveryCodes: RecoveryCodes }) },
  "auth.totp.disable": {
    input: Type.Object({ user: AuthUser, totp: Type.Optional(TotpCode), recoveryCode: Type.Optional(RecoveryCode) }),
    output: ok({}),
  },
  "auth.recoveryCodes": { input: Type.Object({ user: AuthUser, totp: TotpCode }), output: ok({ recoveryCodes: RecoveryCodes }) },
  "auth.status": {
    input: Type.Object({ user: AuthUser }),
    output: ok({
      passwordSet: Type.Boolean(),
      totpEnabled: Type.Boolean(),
      recoveryCodesLeft: Type.Integer({ minimum: 0 }),
      passwordMinLength: Type.Optional(Type.Integer({ minimum: 1 })),
    }),
  },
  "auth.oidcProfile": { input: Type.Object({ profile: OidcProfile, client: AuthClient }), output: RefreshOutput },
  "auth.signIns.list": {
    input: Type.Object({ user: AuthUser }),
    output: ok({ signIns: Type.Array(SignInSummary, { maxItems: 1000 }) }),
  },
  "auth.signIns.revoke": {
    input: Type.Object({ user: AuthUser, signInId: Type.Optional(SignInId) }),
    output: ok({ revoked: Type.Integer({ minimum: 0 }) }),
  },
  /** A signed-in user changes their own password; `keepSignInId` (the caller's sign-in) survives, the others end. */
  "auth.password.change": {
    input: Type.Object({
      user: AuthUser,
      currentPassword: Password,
      newPassword: Password,
      totp: Type.Optional(TotpCode),
      recoveryCode: Type.Optional(RecoveryCode),
      keepSignInId: Type.Optional(SignInId),
      client: AuthClient,
    }),
    output: ok({ revoked: Type.Integer({ minimum: 0 }) }),
  },
} satisfies Record<string, { input: TSchema; output: TSchema }>

export type AuthHookName = keyof typeof AUTH_HOOK_SHAPES

/** Signing in is never allowed by default: whatever the fail mode, an unanswered auth hook denies. */
export const authFallback = (_mode: "open" | "closed", reason: string): AuthDenied => ({
  outcome: "deny",
  code: "PLUGIN_UNAVAILABLE",
  reason,
})
