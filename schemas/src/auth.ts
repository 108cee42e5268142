// REST shapes of /api/v1/auth: sign-in, refresh, setup, invitations, password change, TOTP, active sign-ins.
import { type Static, Type } from "@sinclair/typebox"
import { Timestamp, Uuid } from "./common.ts"
import { Password, RecoveryCode, RefreshToken, SignInId, SignInSummary, TotpCode } from "./plugin-auth-hooks.ts"
import { User } from "./user.ts"

export const SignInRequest = Type.Object(
  {
    username: Type.String({ minLength: 1, maxLength: 254, description: "Username or email" }),
    password: Password,
    totp: Type.Optional(TotpCode),
    recoveryCode: Type.Optional(RecoveryCode),
  },
  { additionalProperties: false },
)
export type SignInRequest = Static<typeof SignInRequest>

/** Sent in the body by API clients; browsers leave it out and the HttpOnly cookie carries it. */
export const RefreshRequest = Type.Object({ refreshToken: Type.Optional(RefreshToken) }, { additionalProperties: false })
export type RefreshRequest = Static<typeof RefreshRequest>

export const TokenResponse = Type.Object({
  accessToken: Type.String(),
  tokenType: Type.Literal("Bearer"),
  expiresIn: Type.Integer({ description: "Seconds the access token is valid" }),
  refreshToken: RefreshToken,
  refreshExpiresAt: Timestamp,
  signInId: SignInId,
  user: User,
})
export type TokenResponse = Static<typeof TokenResponse>

export const SetupRequest = Type.Object(
  {
    token: Type.String({ minLength: 1, maxLength: 256, description: "The one-time setup token from the log" }),
    password: Password,
  },
  { additionalProperties: false },
)
export type SetupRequest = Static<typeof SetupRequest>

export const AuthMethods = Type.Object({
  setupRequired: Type.Boolean({ description: "The first admin has not set a password yet" }),
  password: Type.Boolean(),
  oidc: Type.Union([Type.Null(), Type.Object({ name: Type.String(), startUrl: Type.String() })]),
})
export type AuthMethods = Static<typeof AuthMethods>

export const CreateInvitation = Type.Object({ userId: Uuid }, { additionalProperties: false })
export const Invitation = Type.Object({
  userId: Uuid,
  token: Type.String(),
  url: Type.String({ description: "The link to send the user; it works once" }),
  expiresAt: Timestamp,
})
export type Invitation = Static<typeof Invitation>

export const AcceptInvitation = Type.Object(
  { token: Type.String({ minLength: 1, maxLength: 256 }), password: Password },
  { additionalProperties: false },
)
export type AcceptInvitation = Static<typeof AcceptInvitation>

export const TotpEnrolment = Type.Object({
  secret: Type.String({ description: "Base32, for typing into an app" }),
  uri: Type.String({ description: "otpauth:// URI, for a QR code" }),
})
export const TotpCodeRequest = Type.Object({ totp: TotpCode }, { additionalProperties: false })
export const TotpDisableRequest = Type.Object(
  { totp: Type.Optional(TotpCode), recoveryCode: Type.Optional(RecoveryCode) },
  { additionalProperties: false },
)
export const RecoveryCodes = Type.Object({
  recoveryCodes: Type.Array(Type.String(), { description: "Shown once; each works once" }),
})

/** A signed-in user's own password change; with two-factor on, a current code or a recovery code too. */
export const ChangePasswordRequest = Type.Object(
  {
    currentPassword: Password,
    newPassword: Password,
    totp: Type.Optional(TotpCode),
    recoveryCode: Type.Optional(RecoveryCode),
  },
  { additionalProperties: false },
)
export type ChangePasswordRequest = Static<typeof ChangePasswordRequest>

export const AuthStatus = Type.Object({
  passwordSet: Type.Boolean(),
  totpEnabled: Type.Boolean(),
  recoveryCodesLeft: Type.Integer({ minimum: 0 }),
  passwordMinLength: Type.Optional(Type.Integer({ minimum: 1, description: "Shortest new password accepted, for a hint" })),
})
export type AuthStatus = Static<typeof AuthStatus>

export const ActiveSignIn = Type.Composite([
  SignInSummary,
  Type.Object({ current: Type.Boolean({ description: "The sign-in this request's access token belongs to" }) }),
])
export type ActiveSignIn = Static<typeof ActiveSignIn>
export const SignInIdParams = Type.Object({ id: SignInId })
export const RevokedSignIns = Type.Object({ revoked: Type.Integer({ minimum: 0 }) })
