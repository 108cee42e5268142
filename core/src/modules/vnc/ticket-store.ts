// Single-use viewer tickets: only the hash is kept; taking one removes it, so a ticket opens one stream.
import type { ShareLevel } from "@streamspace/schemas"
import type { RedisLink } from "../../infra/redis.ts"

export interface TicketGrant {
  userId: string
  sessionId: string
  level: ShareLevel
  expiresAt: number
}

/** In-process for one replica; in Redis (GETDEL) when there are several, since the ticket may be redeemed on another. */
export interface TicketStore {
  put(hash: string, grant: TicketGrant): Promise<void>
  /** The grant, removed atomically; null if unknown, already taken or expired. */
  take(hash: string): Promise<TicketGrant | null>
}

export function createMemoryTicketStore(now: () => number = Date.now): TicketStore {
  const grants = new Map<string, TicketGrant>()
  const sweep = () => {
    const t = now()
    for (const [hash, grant] of grants) if (grant.expiresAt <= t) grants.delete(hash)
  }
  return {
    async put(hash, grant) {
      // Tickets live seconds: sweeping on write keeps the map as small as the traffic of a minute.
      if (grants.size >= 1024) sweep()
      grants.set(hash, grant)
    },
    async take(hash) {
      const grant = grants.get(hash)
      if (!grant) return null
      grants.delete(hash)
      return grant.expiresAt > now() ? grant : null
    },
  }
}

/** Tickets shared by every replica: a ticket issued on one opens the stream on whichever replica the balancer picks. */
export function createRedisTicketStore(redis: RedisLink): TicketStore {
  const key = (hash: string) => `${redis.prefix}:tickets:${hash}`
  return {
    async put(hash, grant) {
      await redis.client.set(key(hash), JSON.stringify(grant), "PX", Math.max(1, grant.expiresAt - Date.now()))
    },
    async take(hash) {
      const value = await redis.client.getdel(key(hash))
      if (!value) return null
      const grant = JSON.parse(value) as TicketGrant
      return grant.expiresAt > Date.now() ? grant : null
    },
  }
}
