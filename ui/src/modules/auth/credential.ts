// The credential the portal signs in with, and what this browser remembers of it.
//  - API key or pasted access token: kept in this tab's sessionStorage.
//  - A password, TOTP or OIDC sign-in: the access token lives in memory only; the refresh token is
//    an HttpOnly cookie the page cannot read. A marker in localStorage says such a cookie should
//    exist, so a reload or a new tab refreshes instead of asking for the password again.
const STORAGE_KEY = "streamspace.credential"
const SESSION_MARKER = "streamspace.signed-in"

export interface Credential {
  kind: "api_key" | "access_token" | "session"
  token: string
  /** When the access token expires (epoch ms); sessions refresh before then. */
  expiresAt?: number
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

const isPasted = (v: unknown): v is Credential =>
  typeof v === "object" &&
  v !== null &&
  ((v as Credential).kind === "api_key" || (v as Credential).kind === "access_token") &&
  typeof (v as Credential).token === "string"

export function loadCredential(storage: Storage = sessionStorage): Credential | null {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(STORAGE_KEY) ?? "null")
    return isPasted(parsed) ? parsed : null
  } catch {
    return null
  }
}

/** A session credential is never written: its access token is short-lived and the cookie outlives it. */
export function saveCredential(credential: Credential | null, storage: Storage = sessionStorage) {
  if (credential && credential.kind !== "session") storage.setItem(STORAGE_KEY, JSON.stringify(credential))
  else storage.removeItem(STORAGE_KEY)
}

/** Whether this browser signed in with a refresh cookie (shared by its tabs, like the cookie). */
export const expectsSessionCookie = (storage: Storage = localStorage) => storage.getItem(SESSION_MARKER) === "cookie"

export function markSessionCookie(present: boolean, storage: Storage = localStorage) {
  if (present) storage.setItem(SESSION_MARKER, "cookie")
  else storage.removeItem(SESSION_MARKER)
}
