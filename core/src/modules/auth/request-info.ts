// What the auth routes read from a request: the client's address and agent, and the refresh token (body or cookie).
import type { AuthClient } from "@streamspace/schemas"
import { type CookieOptions, REFRESH_COOKIE, readCookie } from "./cookies.ts"
import { AuthRefused } from "./errors.ts"
import type { Oidc } from "./oidc.ts"

export interface AuthRouteOptions {
  cookies: CookieOptions
  /** Base of links sent to users (invitations); by default the origin of the admin's request. */
  publicUrl?: string
  oidc?: Oidc
}

type Server = { requestIP(request: Request): { address: string } | null } | null

/** The caller's address (the socket's: a forwarded header could be forged) and user agent, within the hook's limits. */
export const clientOf = (request: Request, server: Server): AuthClient => ({
  ip: (server?.requestIP(request)?.address ?? "").slice(0, 64),
  userAgent: (request.headers.get("user-agent") ?? "").slice(0, 512),
})

/** Body first (API clients), then the cookie (browsers). A cookie that cannot be a token is treated as no valid token. */
export const refreshTokenOf = (request: Request, body: { refreshToken?: string } | null | undefined): string | undefined => {
  if (body?.refreshToken !== undefined) return body.refreshToken
  const cookie = readCookie(request.headers.get("cookie"), REFRESH_COOKIE)
  if (cookie !== undefined && cookie.length > 512) throw new AuthRefused("REFRESH_INVALID", "The refresh cookie is not valid.")
  return cookie
}
