// Who is calling: resolves the Authorization header (JWT or API key) to a principal, with a short cache.
import type { Role } from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { Unauthenticated } from "../../http/errors.ts"
import { hashSecret } from "../../infra/ids.ts"
import { API_KEY_PREFIX, resolveApiKey } from "../api-keys/service.ts"
import { getActiveUser } from "../users/service.ts"
import type { AccessClaims } from "./tokens.ts"

export interface Principal {
  id: string
  username: string
  role: Role
  via: "token" | "api_key"
  apiKeyId?: string
}

export const ROLE_RANK: Record<Role, number> = { user: 1, operator: 2, admin: 3 }
export const hasRole = (p: Principal, role: Role) => ROLE_RANK[p.role] >= ROLE_RANK[role]

/**
 * Verifying the JWT is pure CPU; the user row is re-read at most every few seconds so that a
 * disabled user or a changed role takes effect quickly without a query on every request.
 */
const CACHE_MS = 5_000
type Cached = { principal: Principal | null; until: number }

export function createPrincipalResolver(deps: CoreDeps) {
  const cache = new Map<string, Cached>()
  const remember = (key: string, principal: Principal | null) => {
    if (cache.size > 10_000) cache.clear()
    cache.set(key, { principal, until: Date.now() + CACHE_MS })
    return principal
  }

  /** A user's live sign-ins (refresh families), as the auth plugin keeps them; null when it cannot say. */
  const signIns = new Map<string, { ids: Set<string>; until: number }>()
  async function liveSignIns(claims: AccessClaims): Promise<Set<string> | null> {
    const hit = signIns.get(claims.sub)
    if (hit && hit.until > Date.now()) return hit.ids
    const answer = await deps.authPolicy
      ?.ask("auth.signIns.list", { user: { id: claims.sub, username: claims.name, role: claims.role } })
      .catch(() => null)
    // The plugin cannot answer (none enabled, or it is down): the token's signature and expiry stand alone.
    if (answer?.outcome !== "ok") return null
    if (signIns.size > 10_000) signIns.clear()
    const ids = new Set(answer.signIns.map((s) => s.id))
    signIns.set(claims.sub, { ids, until: Date.now() + CACHE_MS })
    return ids
  }

  async function fromToken(token: string): Promise<Principal | null> {
    const claims = await deps.tokens.verify(token)
    if (!claims) return null
    // A token from a sign-in that has ended (signed out everywhere, revoked, password changed) stops
    // working within CACHE_MS on every replica, at once on the one that ended it — not when it expires.
    if (claims.sid) {
      const live = await liveSignIns(claims)
      if (live && !live.has(claims.sid)) return null
    }
    const hit = cache.get(`u:${claims.sub}`)
    if (hit && hit.until > Date.now()) return hit.principal
    const user = await getActiveUser(deps, claims.sub)
    return remember(`u:${claims.sub}`, user && { id: user.id, username: user.username, role: user.role, via: "token" })
  }

  async function fromApiKey(secret: string): Promise<Principal | null> {
    const key = `k:${hashSecret(secret)}`
    const hit = cache.get(key)
    if (hit && hit.until > Date.now()) return hit.principal
    const found = await resolveApiKey(deps, secret)
    return remember(
      key,
      found && { id: found.user.id, username: found.user.username, role: found.user.role, via: "api_key", apiKeyId: found.keyId },
    )
  }

  return {
    /** null when no credential is sent; throws when one is sent but is not valid. */
    async resolve(authorization: string | undefined): Promise<Principal | null> {
      if (!authorization) return null
      const match = /^Bearer\s+(\S+)$/i.exec(authorization)
      if (!match?.[1]) throw new Unauthenticated("The Authorization header must be `Bearer <token or API key>`.")
      const credential = match[1]
      const principal = credential.startsWith(`${API_KEY_PREFIX}_`) ? await fromApiKey(credential) : await fromToken(credential)
      if (!principal) throw new Unauthenticated("The access token or API key is invalid, expired or revoked.")
      return principal
    },
    /** Forget cached answers after a user or key changes, so the change applies at once here. */
    forget() {
      cache.clear()
      signIns.clear()
    },
  }
}
export type PrincipalResolver = ReturnType<typeof createPrincipalResolver>
