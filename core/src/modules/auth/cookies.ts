// The refresh-token cookie (HttpOnly, SameSite=Strict, Secure over https) and reading cookies from a request.
export const REFRESH_COOKIE = "ss_refresh"
/** Only the auth routes need it: it is not sent with every API call. */
const REFRESH_PATH = "/api/v1/auth"

export interface CookieOptions {
  /** Secure cookies: true when the portal is served over https. */
  secure: boolean
}

const attributes = (path: string, sameSite: "Strict" | "Lax", options: CookieOptions) =>
  `Path=${path}; HttpOnly; SameSite=${sameSite}${options.secure ? "; Secure" : ""}`

export const refreshCookie = (token: string, expiresAt: string, options: CookieOptions): string => {
  const maxAge = Math.max(0, Math.floor((Date.parse(expiresAt) - Date.now()) / 1000))
  return `${REFRESH_COOKIE}=${token}; Max-Age=${maxAge}; ${attributes(REFRESH_PATH, "Strict", options)}`
}

export const clearedRefreshCookie = (options: CookieOptions): string =>
  `${REFRESH_COOKIE}=; Max-Age=0; ${attributes(REFRESH_PATH, "Strict", options)}`

/**
 * A cookie for the OIDC round trip. Lax, not Strict: it must come back on the identity provider's
 * top-level redirect to the callback, which is a cross-site navigation.
 */
export const flowCookie = (name: string, value: string, path: string, maxAgeSeconds: number, options: CookieOptions) =>
  `${name}=${value}; Max-Age=${maxAgeSeconds}; ${attributes(path, "Lax", options)}`

export function readCookie(header: string | null | undefined, name: string): string | undefined {
  for (const part of (header ?? "").split(";")) {
    const at = part.indexOf("=")
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim() || undefined
  }
  return undefined
}

export const clearedFlowCookie = (name: string, path: string, options: CookieOptions) =>
  `${name}=; Max-Age=0; ${attributes(path, "Lax", options)}`
