// The control-plane replicas on one Redis: each one's liveness key (with a short TTL) and a request/reply inbox over pub/sub.
import type { Logger } from "../../infra/log.ts"
import type { RedisLink } from "../../infra/redis.ts"

export interface ReplicaSetOptions {
  redis: RedisLink
  replicaId: string
  /** Where other replicas reach this one (its replica-to-replica WebSocket); asked at start, once the port is known. */
  url: () => string
  /** Without renewal the replica counts as dead after this (default 3 s). */
  ttlMs?: number
  log: Logger
}

interface Envelope {
  kind: "request" | "reply"
  id: string
  from: string
  body: unknown
}

export class ReplicaUnreachable extends Error {}

export type RequestHandler = (body: unknown, from: string) => Promise<unknown>

export function createReplicaSet(o: ReplicaSetOptions) {
  const { client: redis, subscriber, prefix } = o.redis
  const ttl = o.ttlMs ?? 3_000
  const key = (id: string) => `${prefix}:replicas:${id}`
  const inbox = (id: string) => `${prefix}:replica:${id}`
  const waiting = new Map<string, { resolve(v: unknown): void; reject(e: Error): void; timer: Timer }>()
  let handler: RequestHandler = async () => null
  const startedAt = new Date().toISOString()
  let record: string | null = null

  const announce = async () => {
    if (record) await redis.set(key(o.replicaId), record, "PX", ttl)
  }
  let warnedAt = 0
  const timer = setInterval(
    () =>
      void announce().catch((err: Error) => {
        if (Date.now() - warnedAt < 5_000) return
        warnedAt = Date.now()
        o.log.warn({ err: err.message }, "could not renew this replica's liveness key")
      }),
    Math.max(50, Math.floor(ttl / 3)),
  )

  async function reply(to: string, id: string, body: unknown) {
    await redis.publish(inbox(to), JSON.stringify({ kind: "reply", id, from: o.replicaId, body } satisfies Envelope))
  }

  subscriber.on("message", (channel: string, text: string) => {
    if (channel !== inbox(o.replicaId)) return
    let m: Envelope
    try {
      m = JSON.parse(text) as Envelope
    } catch {
      o.log.warn({ channel }, "ignored a malformed replica message")
      return
    }
    if (typeof m?.id !== "string" || typeof m.from !== "string") return
    if (m.kind === "reply") {
      const w = waiting.get(m.id)
      if (!w) return
      waiting.delete(m.id)
      clearTimeout(w.timer)
      w.resolve(m.body)
      return
    }
    if (m.kind !== "request") return
    handler(m.body, m.from)
      .then((body) => reply(m.from, m.id, body))
      .catch((err) => o.log.error({ err, from: m.from }, "a replica request failed"))
  })

  return {
    id: o.replicaId,
    async start(): Promise<void> {
      record = JSON.stringify({ replicaId: o.replicaId, url: o.url(), startedAt })
      await subscriber.subscribe(inbox(o.replicaId))
      await announce()
    },
    handle(h: RequestHandler) {
      handler = h
    },
    /** The replicas among `ids` whose liveness key exists. */
    async alive(ids: string[]): Promise<Set<string>> {
      if (ids.length === 0) return new Set()
      const values = await redis.mget(...ids.map(key))
      return new Set(ids.filter((_, i) => values[i] !== null))
    },
    async urlOf(replicaId: string): Promise<string | null> {
      const value = await redis.get(key(replicaId))
      return value ? (JSON.parse(value) as { url: string }).url : null
    },
    /** Asks another replica and waits for its answer; rejects when nobody listens or the deadline passes. */
    async request(replicaId: string, body: unknown, timeoutMs = 2_000): Promise<unknown> {
      const id = crypto.randomUUID()
      const answer = new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiting.delete(id)
          reject(new ReplicaUnreachable(`replica ${replicaId} did not answer within ${timeoutMs} ms`))
        }, timeoutMs)
        waiting.set(id, { resolve, reject, timer })
      })
      const listeners = await redis
        .publish(inbox(replicaId), JSON.stringify({ kind: "request", id, from: o.replicaId, body } satisfies Envelope))
        .catch(() => 0)
      if (listeners === 0) {
        const w = waiting.get(id)
        waiting.delete(id)
        if (w) clearTimeout(w.timer)
        throw new ReplicaUnreachable(`replica ${replicaId} is not listening`)
      }
      return answer
    },
    async close(): Promise<void> {
      clearInterval(timer)
      for (const [id, w] of waiting) {
        clearTimeout(w.timer)
        w.reject(new ReplicaUnreachable("this replica is shutting down"))
        waiting.delete(id)
      }
      await redis.del(key(o.replicaId)).catch(() => {})
    },
  }
}
export type ReplicaSet = ReturnType<typeof createReplicaSet>
