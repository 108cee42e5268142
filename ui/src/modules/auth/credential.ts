// The credential the portal signs in with, and where it lives: this browser tab's sessionStorage.
const STORAGE_KEY = "streamspace.credential"

/**
 * Every sign-in method ends in one of these. API keys and pasted access tokens have no refresh
 * token; the password, TOTP and OIDC flows of the auth plugin will add one.
 */
export interface Credential {
  kind: "api_key" | "access_token"
  token: string
  refreshToken?: string
}

const API_KEY_PREFIX = "ssk_"

/** Checks a pasted secret's shape before it is sent anywhere; returns a message when it is wrong. */
export function problemWithPastedToken(raw: string): string | null {
  const token = raw.trim()
  if (!token) return "Paste an API key (it starts with ssk_) or an access token."
  if (/\s/.test(token)) return "The key must be one line with no spaces. Copy it again."
  if (!token.startsWith(API_KEY_PREFIX) && token.split(".").length !== 3)
    return "That is neither an API key (ssk_…) nor an access token (three dot-separated parts)."
  return null
}

export const credentialOf = (raw: string): Credential => {
  const token = raw.trim()
  return { kind: token.startsWith(API_KEY_PREFIX) ? "api_key" : "access_token", token }
}

const isCredential = (v: unknown): v is Credential =>
  typeof v === "object" &&
  v !== null &&
  ((v as Credential).kind === "api_key" || (v as Credential).kind === "access_token") &&
  typeof (v as Credential).token === "string"

export function loadCredential(storage: Storage = sessionStorage): Credential | null {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? "null")
    return isCredential(parsed) ? parsed : null
  } catch {
    return null
  }
}

export function saveCredential(credential: Credential | null, storage: Storage = sessionStorage) {
  if (credential) storage.setItem(STORAGE_KEY, JSON.stringify(credential))
  else storage.removeItem(STORAGE_KEY)
}
