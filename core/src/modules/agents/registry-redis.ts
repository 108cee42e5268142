// The agent registry in Redis, shared by every replica: entries expire within seconds unless the replica holding the connection renews them.
import type { Logger } from "../../infra/log.ts"
import type { RedisLink } from "../../infra/redis.ts"
import type { AgentPresence, AgentRegistry } from "./registry.ts"

export interface RedisRegistryOptions {
  redis: RedisLink
  replicaId: string
  /** Which replicas are alive (their own key has not expired): entries held by dead ones are ignored. */
  aliveReplicas(ids: string[]): Promise<Set<string>>
  /** How long an entry lives without renewal (default 3 s); renewed every third of it. */
  ttlMs?: number
  /** How long a heartbeat time is kept (three heartbeat intervals: after that the hub closes the connection anyway). */
  heartbeatTtlMs: number
  log: Logger
}

// Compare-and-set on the connection id: a replica whose connection was replaced elsewhere cannot undo the newer entry.
const TOUCH = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur or cjson.decode(cur).connectionId ~= ARGV[2] then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('HSET', KEYS[2], ARGV[5], ARGV[3])
return 1`
/** Renews every key given; answers the (1-based) positions among the first ARGV[2] that no longer existed. */
const RENEW = `local lost = {}
for i, key in ipairs(KEYS) do
  if redis.call('PEXPIRE', key, ARGV[1]) == 0 and i <= tonumber(ARGV[2]) then lost[#lost + 1] = i end
end
return lost`

/** One entry per agent instance: if it reconnected elsewhere while its old connection here lingers, the newer wins. */
function merge(mine: AgentPresence[], others: AgentPresence[]): AgentPresence[] {
  const byInstance = new Map<string, AgentPresence>()
  for (const p of [...mine, ...others]) {
    const key = `${p.agentId}/${p.instanceId}`
    const seen = byInstance.get(key)
    if (!seen || p.connectedAt > seen.connectedAt) byInstance.set(key, p)
  }
  return [...byInstance.values()]
}

const REMOVE = `local cur = redis.call('HGET', KEYS[1], ARGV[1])
if not cur or cjson.decode(cur).connectionId ~= ARGV[2] then return 0 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[3])
redis.call('HDEL', KEYS[4], ARGV[3])
return 1`

/**
 * Keys (prefix `streamspace`):
 * - `agents:{platform}:{name}` → the agent's id, platform and cluster (for people and tools);
 * - `connections:{agentId}` → hash instanceId → presence (replica id, connection id, leader, capacity);
 * - `heartbeats:{agentId}` → hash instanceId → time of the last heartbeat;
 * - `presence`, `presence-heartbeats` → the same for every agent in two hashes keyed `{agentId}/{instanceId}`,
 *   so that listing 2,000 agents is two replies, not 4,000 (entries of dead replicas are removed by readers).
 * The replica holding a connection renews its keys; writes it could not make during an outage
 * are made again when Redis is back (`onReady`), from what the replica holds.
 */
export function createRedisAgentRegistry(o: RedisRegistryOptions): AgentRegistry & { republish(): Promise<void> } {
  const { client: redis, prefix } = o.redis
  const ttl = o.ttlMs ?? 3_000
  const k = {
    meta: (p: AgentPresence) => `${prefix}:agents:${p.platform}:${p.name}`,
    connections: (agentId: string) => `${prefix}:connections:${agentId}`,
    heartbeats: (agentId: string) => `${prefix}:heartbeats:${agentId}`,
    all: `${prefix}:presence`,
    allBeats: `${prefix}:presence-heartbeats`,
    field: (p: { agentId: string; instanceId: string }) => `${p.agentId}/${p.instanceId}`,
  }
  /** The presences of connections this replica holds: the truth it writes again after an outage. */
  const owned = new Map<string, Map<string, AgentPresence>>()
  let listed: { at: number; value: Promise<AgentPresence[]> } | null = null
  let refreshing: Promise<AgentPresence[]> | null = null
  /** Connections whose heartbeat time changed since the last renewal: written with it, not one round trip per heartbeat. */
  const beaten = new Set<AgentPresence>()
  let warnedAt = 0

  const failed = (err: unknown, what: string) => {
    // One line per few seconds: during an outage every call fails.
    if (Date.now() - warnedAt < 5_000) return
    warnedAt = Date.now()
    o.log.warn({ err: (err as Error).message }, `agent registry: ${what} failed; using this replica's own connections`)
  }
  /** How this replica's id reads inside its own entries' JSON. */
  const ownMarker = `"replicaId":${JSON.stringify(o.replicaId)}`
  const ownedList = () => [...owned.values()].flatMap((m) => [...m.values()]).map((p) => ({ ...p }))

  function write(pipe: ReturnType<typeof redis.pipeline>, p: AgentPresence) {
    const { lastSeenAt: _, ...stable } = p
    pipe.hset(k.connections(p.agentId), p.instanceId, JSON.stringify(stable))
    pipe.pexpire(k.connections(p.agentId), ttl)
    pipe.hset(k.heartbeats(p.agentId), p.instanceId, String(p.lastSeenAt))
    pipe.pexpire(k.heartbeats(p.agentId), o.heartbeatTtlMs)
    pipe.set(k.meta(p), JSON.stringify({ agentId: p.agentId, platform: p.platform, cluster: p.cluster }), "PX", ttl)
    pipe.hset(k.all, k.field(p), JSON.stringify(stable))
    pipe.hset(k.allBeats, k.field(p), String(p.lastSeenAt))
  }

  async function read(agentIds: string[]): Promise<AgentPresence[]> {
    if (agentIds.length === 0) return []
    const pipe = redis.pipeline()
    for (const id of agentIds) pipe.hgetall(k.connections(id)).hgetall(k.heartbeats(id))
    const replies = (await pipe.exec()) ?? []
    const found: AgentPresence[] = []
    agentIds.forEach((_, i) => {
      const conns = (replies[2 * i]?.[1] ?? {}) as Record<string, string>
      const beats = (replies[2 * i + 1]?.[1] ?? {}) as Record<string, string>
      const instances = Object.entries(conns)
      for (const [instanceId, json] of instances) {
        const p = JSON.parse(json) as Omit<AgentPresence, "lastSeenAt">
        found.push({ ...p, lastSeenAt: Number(beats[instanceId] ?? p.connectedAt) })
      }
    })
    const alive = await o.aliveReplicas([...new Set(found.map((p) => p.replicaId))])
    // This replica's own connections are taken from memory: current, and present even if Redis lost them.
    const others = found.filter((p) => p.replicaId !== o.replicaId && alive.has(p.replicaId))
    return merge(
      agentIds.flatMap((id) => [...(owned.get(id)?.values() ?? [])].map((p) => ({ ...p }))),
      others,
    )
  }

  /** Every other replica's live presence, from the two index hashes; fields of dead replicas are removed. */
  async function readAll(): Promise<AgentPresence[]> {
    const replies = (await redis.pipeline().hgetall(k.all).hgetall(k.allBeats).exec()) ?? []
    const all = (replies[0]?.[1] ?? {}) as Record<string, string>
    const beats = (replies[1]?.[1] ?? {}) as Record<string, string>
    const found: AgentPresence[] = []
    for (const [field, json] of Object.entries(all)) {
      // This replica's own entries are answered from memory: not parsed (all 2,000 each second, on one replica).
      if (json.includes(ownMarker)) continue
      const p = JSON.parse(json) as Omit<AgentPresence, "lastSeenAt">
      found.push({ ...p, lastSeenAt: Number(beats[field] ?? p.connectedAt) })
    }
    const alive = await o.aliveReplicas([...new Set(found.map((p) => p.replicaId))])
    alive.add(o.replicaId)
    const dead = found.filter((p) => !alive.has(p.replicaId)).map(k.field)
    if (dead.length > 0)
      await redis
        .pipeline()
        .hdel(k.all, ...dead)
        .hdel(k.allBeats, ...dead)
        .exec()
    return found.filter((p) => p.replicaId !== o.replicaId && alive.has(p.replicaId))
  }

  /** One renewal round trip per this many agents: Redis serves other callers (a command's route) in between, and no turn of the event loop holds thousands of keys. */
  const RENEW_CHUNK = 200

  async function renew(): Promise<void> {
    if (owned.size === 0) return
    const beats = [...beaten]
    beaten.clear()
    const agents = [...owned.keys()]
    for (let i = 0; i < Math.max(agents.length, beats.length); i += RENEW_CHUNK) {
      const pipe = redis.pipeline()
      const beatsHere = beats.slice(i, i + RENEW_CHUNK)
      for (const p of beatsHere) pipe.hset(k.heartbeats(p.agentId), p.instanceId, String(p.lastSeenAt))
      for (const p of beatsHere) pipe.pexpire(k.heartbeats(p.agentId), o.heartbeatTtlMs)
      for (const p of beatsHere) pipe.hset(k.allBeats, k.field(p), String(p.lastSeenAt))
      const renewed = agents.slice(i, i + RENEW_CHUNK)
      const metas = renewed.flatMap((agentId) => {
        const first = owned.get(agentId)?.values().next().value
        return first ? [k.meta(first)] : []
      })
      // One script call renews the chunk's keys: 200 agents are one command, not 400.
      if (renewed.length > 0)
        pipe.eval(RENEW, renewed.length + metas.length, ...renewed.map(k.connections), ...metas, ttl, renewed.length)
      const replies = (await pipe.exec()) ?? []
      if (renewed.length === 0) continue
      // An entry that expired anyway (Redis stalled past the TTL without dropping the connection, so no
      // reconnection republished it) is written again from memory.
      const lostAt = (replies.at(-1)?.[1] ?? []) as number[]
      if (lostAt.length === 0) continue
      const again = redis.pipeline()
      for (const at of lostAt) for (const p of owned.get(renewed[at - 1] as string)?.values() ?? []) write(again, p)
      await again.exec()
    }
  }

  let renewing = false
  const timer = setInterval(
    () => {
      // A renewal that takes longer than the interval (a slow Redis) is not started twice.
      if (renewing) return
      renewing = true
      void renew()
        .catch((err) => failed(err, "renewing entries"))
        .finally(() => {
          renewing = false
        })
    },
    Math.max(50, Math.floor(ttl / 3)),
  )

  return {
    async put(p) {
      const instances = owned.get(p.agentId) ?? new Map<string, AgentPresence>()
      owned.set(p.agentId, instances)
      instances.set(p.instanceId, { ...p })
      const pipe = redis.pipeline()
      write(pipe, p)
      await pipe.exec().catch((err) => failed(err, "registering a connection"))
    },
    async touch(agentId, connectionId, patch) {
      const mine = [...(owned.get(agentId)?.values() ?? [])].find((p) => p.connectionId === connectionId)
      if (!mine) return
      const stableChanged = (["leader", "fencingToken", "capacity"] as const).some(
        (f) => patch[f] !== undefined && JSON.stringify(patch[f]) !== JSON.stringify(mine[f]),
      )
      Object.assign(mine, patch)
      try {
        if (stableChanged) {
          const { lastSeenAt: _, ...stable } = mine
          await redis.eval(
            TOUCH,
            2,
            k.connections(agentId),
            k.all,
            mine.instanceId,
            connectionId,
            JSON.stringify(stable),
            ttl,
            k.field(mine),
          )
        }
        // A heartbeat only moves the time: written with the next renewal (within a third of the TTL).
        if (patch.lastSeenAt !== undefined) beaten.add(mine)
      } catch (err) {
        failed(err, "recording a heartbeat")
      }
    },
    async remove(agentId, connectionId) {
      const instances = owned.get(agentId)
      for (const [instanceId, p] of instances ?? [])
        if (p.connectionId === connectionId) {
          instances?.delete(instanceId)
          beaten.delete(p)
          if (instances?.size === 0) owned.delete(agentId)
          await redis
            .eval(
              REMOVE,
              4,
              k.connections(agentId),
              k.heartbeats(agentId),
              k.all,
              k.allBeats,
              instanceId,
              connectionId,
              k.field(p),
            )
            .catch((err) => failed(err, "removing a connection"))
        }
    },
    async instances(agentId) {
      try {
        return await read([agentId])
      } catch (err) {
        failed(err, "reading an agent's connections")
        return [...(owned.get(agentId)?.values() ?? [])].map((p) => ({ ...p }))
      }
    },
    async list() {
      // Placement and presence checks ask often: other replicas' connections are read at most once a second
      // (2,000 agents cost milliseconds to read); this replica's own are always current.
      // Past that, the old list still answers while a new one is read (no caller waits for Redis but the first).
      if (!listed || (Date.now() - listed.at >= 1_000 && !refreshing)) {
        const value = readAll()
          .catch((err) => {
            failed(err, "listing connections")
            return [] as AgentPresence[]
          })
          .finally(() => {
            refreshing = null
          })
        refreshing = value
        if (!listed) listed = { at: Date.now(), value }
        void value.then((v) => {
          listed = { at: Date.now(), value: Promise.resolve(v) }
        })
      }
      return merge(ownedList(), await listed.value)
    },
    /** Writes every connection this replica holds again (after Redis came back empty or from an outage). */
    async republish() {
      const all = ownedList()
      if (all.length === 0) return
      const pipe = redis.pipeline()
      for (const p of all) write(pipe, p)
      await pipe.exec()
      listed = null
      o.log.info({ connections: all.length }, "agent registry: connections published to Redis again")
    },
    async close() {
      clearInterval(timer)
    },
  }
}
