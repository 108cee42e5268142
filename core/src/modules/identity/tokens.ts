// Access tokens: short-lived HS256 JWTs that the core signs and verifies itself.
import { jwt } from "@elysiajs/jwt"
import type { Role } from "@streamspace/schemas"

export interface AccessClaims {
  sub: string
  role: Role
  name: string
  /** Sign-in (refresh family) the token belongs to, when issued by a sign-in flow. */
  sid?: string
}

export interface TokenService {
  issue(claims: AccessClaims): Promise<{ accessToken: string; expiresIn: number }>
  verify(token: string): Promise<AccessClaims | null>
}

/** Bounds the memory of the verified-token cache; past it the cache starts over. */
const MAX_VERIFIED = 10_000

export function createTokenService(secret: string, ttlSeconds: number): TokenService {
  // The plugin's decorator is a plain signer/verifier; services use it without an HTTP context.
  const signer = jwt({ name: "jwt", secret, alg: "HS256", iss: "streamspace", exp: `${ttlSeconds}s` }).decorator.jwt
  // A token's signature and claims never change: once verified it stays valid until it expires, so
  // a client's next requests skip the HMAC (a sixth of an authenticated request's CPU). Whether the
  // user may still act is the principal resolver's question, asked separately.
  const verified = new Map<string, { claims: AccessClaims; expiresAt: number }>()
  return {
    async issue(claims) {
      return { accessToken: await signer.sign({ ...claims }), expiresIn: ttlSeconds }
    },
    async verify(token) {
      const hit = verified.get(token)
      if (hit && hit.expiresAt > Date.now()) return hit.claims
      if (hit) verified.delete(token)
      const payload = await signer.verify(token)
      if (!payload || typeof payload.sub !== "string" || typeof payload.role !== "string") return null
      const claims: AccessClaims = {
        sub: payload.sub,
        role: payload.role as Role,
        name: String(payload.name ?? ""),
        ...(typeof payload.sid === "string" ? { sid: payload.sid } : {}),
      }
      if (typeof payload.exp === "number") {
        if (verified.size >= MAX_VERIFIED) verified.clear()
        verified.set(token, { claims, expiresAt: payload.exp * 1000 })
      }
      return claims
    },
  }
}
