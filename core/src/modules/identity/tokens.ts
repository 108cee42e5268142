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

export function createTokenService(secret: string, ttlSeconds: number): TokenService {
  // The plugin's decorator is a plain signer/verifier; services use it without an HTTP context.
  const signer = jwt({ name: "jwt", secret, alg: "HS256", iss: "streamspace", exp: `${ttlSeconds}s` }).decorator.jwt
  return {
    async issue(claims) {
      return { accessToken: await signer.sign({ ...claims }), expiresIn: ttlSeconds }
    },
    async verify(token) {
      const payload = await signer.verify(token)
      if (!payload || typeof payload.sub !== "string" || typeof payload.role !== "string") return null
      return {
        sub: payload.sub,
        role: payload.role as Role,
        name: String(payload.name ?? ""),
        ...(typeof payload.sid === "string" ? { sid: payload.sid } : {}),
      }
    },
  }
}
