// How the auth plugin's denials reach the client: one AppError whose code is the plugin's, with a fitting status.
import type { AuthDenied } from "@streamspace/schemas"
import { AppError } from "../../http/errors.ts"

const STATUS: Record<string, number> = {
  INVALID_CREDENTIALS: 401,
  MFA_REQUIRED: 401,
  TOTP_INVALID: 401,
  RECOVERY_CODE_INVALID: 401,
  REFRESH_INVALID: 401,
  REFRESH_REUSED: 401,
  REFRESH_MISSING: 401,
  SIGN_IN_EXPIRED: 401,
  SETUP_TOKEN_INVALID: 401,
  OIDC_FAILED: 401,
  ACCOUNT_DISABLED: 403,
  CURRENT_PASSWORD_INVALID: 403,
  OIDC_GROUP_REQUIRED: 403,
  OIDC_NOT_PROVISIONED: 403,
  USER_NOT_FOUND: 404,
  SIGN_IN_NOT_FOUND: 404,
  OIDC_NOT_CONFIGURED: 404,
  TOTP_ALREADY_ENABLED: 409,
  TOTP_NOT_ENROLLED: 409,
  TOTP_NOT_ENABLED: 409,
  SETUP_ALREADY_DONE: 409,
  NO_LOCAL_PASSWORD: 409,
  INVITATION_INVALID: 410,
  WEAK_PASSWORD: 422,
  PASSWORD_UNCHANGED: 422,
  TOTP_REQUIRED: 422,
  ACCOUNT_LOCKED: 429,
  RATE_LIMITED: 429,
  PLUGIN_UNAVAILABLE: 503,
  AUTH_UNAVAILABLE: 503,
  AUTH_PLUGIN_MISSING: 503,
  AUTH_BUSY: 503,
  OIDC_PROVIDER_UNAVAILABLE: 503,
}

const TITLE: Record<number, string> = {
  400: "Request refused",
  401: "Not signed in",
  403: "Not allowed",
  404: "Not found",
  409: "Conflict",
  410: "Gone",
  422: "Invalid request",
  429: "Too many attempts",
  503: "Sign-in unavailable",
}

/** A sign-in decision that went against the caller; a `retryAfterSeconds` becomes a Retry-After header. */
export class AuthRefused extends AppError {
  readonly code: string
  readonly status: number
  readonly title: string

  /**
   * `signedIn`: the caller is signed in, so a wrong password or code is 403, not 401 — a 401 tells a client
   * its sign-in ended, and the portal would refresh and send the same guess a second time.
   */
  constructor(code: string, detail: string, options: { retryAfterSeconds?: number; field?: string; signedIn?: boolean } = {}) {
    super(detail, options.field ? [{ field: `/${options.field}`, message: detail }] : undefined)
    this.code = code
    const status = STATUS[code] ?? 400
    this.status = options.signedIn && status === 401 ? 403 : status
    this.title = TITLE[this.status] ?? "Request refused"
    if (options.retryAfterSeconds !== undefined) this.headers = { "retry-after": String(options.retryAfterSeconds) }
  }

  static from(denied: AuthDenied, options: { signedIn?: boolean } = {}): AuthRefused {
    return new AuthRefused(denied.code, denied.reason, { ...denied, ...options })
  }
}
