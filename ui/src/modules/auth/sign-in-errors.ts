// What the sign-in pages say about the auth plugin's refusals, and the OIDC errors the callback sends back.
import { ApiError } from "@/api/problem.ts"

/** Headings for refusals people meet at sign-in; the server's detail says what to do. */
export function signInErrorTitle(error: ApiError | null): string | undefined {
  switch (error?.code) {
    case "ACCOUNT_LOCKED":
      return "Account locked for now"
    case "RATE_LIMITED":
      return "Too many attempts"
    case "MFA_REQUIRED":
    case "TOTP_INVALID":
    case "RECOVERY_CODE_INVALID":
      return "Two-factor code needed"
    case "ACCOUNT_DISABLED":
      return "Account disabled"
    case "AUTH_PLUGIN_MISSING":
    case "AUTH_UNAVAILABLE":
    case "PLUGIN_UNAVAILABLE":
    case "AUTH_BUSY":
      return "Sign-in is unavailable"
    default:
      return error ? "Could not sign in" : undefined
  }
}

/** "Try again in about 15 minutes." for a refusal that said how long to wait. */
export function waitHint(error: ApiError | null): string | null {
  const seconds = error?.retryAfterSeconds
  if (seconds === undefined || error?.status !== 429) return null
  if (seconds < 60) return `Try again in ${Math.max(1, Math.ceil(seconds))} seconds.`
  const minutes = Math.ceil(seconds / 60)
  return `Try again in about ${minutes} minute${minutes === 1 ? "" : "s"}.`
}

/**
 * The OIDC callback redirects here with only a code: a message in the URL could be written by
 * anyone who sends a link, so the words are ours.
 */
const SSO_MESSAGES: Record<string, string> = {
  OIDC_FAILED: "The identity provider did not confirm the sign-in, or it took too long. Try again.",
  OIDC_PROVIDER_UNAVAILABLE: "The identity provider cannot be reached right now. Try again later.",
  OIDC_GROUP_REQUIRED: "Your account at the identity provider is not in a group allowed to use StreamSpace. Ask an admin.",
  OIDC_NOT_PROVISIONED:
    "There is no StreamSpace account for you yet, and accounts are not created on first sign-in. Ask an admin.",
  OIDC_NOT_CONFIGURED: "Single sign-on is not configured here.",
  ACCOUNT_DISABLED: "Your StreamSpace account is disabled. Ask an admin.",
  RATE_LIMITED: "Too many sign-in attempts from this address. Wait a moment and try again.",
}

export function ssoError(code: unknown): ApiError | null {
  if (typeof code !== "string" || code === "") return null
  const known = Object.hasOwn(SSO_MESSAGES, code)
  return new ApiError(401, known ? code : "OIDC_FAILED", SSO_MESSAGES[known ? code : "OIDC_FAILED"] as string)
}
