// What one replica needs to work with the others: the shared registry, command hand-over over pub/sub, and streams to their agents.
import type { Command } from "@streamspace/schemas"
import type { Logger } from "../../infra/log.ts"
import { type RedisLink, redisReady } from "../../infra/redis.ts"
import { createRedisAgentRegistry } from "./registry-redis.ts"
import { openRemoteStream } from "./remote-stream.ts"
import { createReplicaSet, ReplicaUnreachable } from "./replicas.ts"
import { type AgentStream, type StreamHandlers, StreamOpenFailed } from "./streams.ts"

export interface ClusterOptions {
  redis: RedisLink
  /** Where the other replicas reach this one, e.g. http://10.0.0.5:8080 (asked at start, once the port is known). */
  replicaUrl: () => string
  /** HMAC key of replica-to-replica requests (the same on every replica). */
  replicaSecret: string
  /** Registry entries and the replica's own key live this long without renewal (default 3 s). */
  ttlMs?: number
  /** How long a replica may take to hand a command to its agent (default 2 s). */
  handOverTimeoutMs?: number
}

/** A command for an agent on this replica, sent by another replica. */
interface DeliverRequest {
  type: "deliver"
  agentId: string
  command: Command
}

const isDeliver = (body: unknown): body is DeliverRequest => {
  const b = body as Partial<DeliverRequest> | null
  return b?.type === "deliver" && typeof b.agentId === "string" && typeof b.command === "object" && b.command?.type === "command"
}

export function createCluster(o: ClusterOptions, replicaId: string, heartbeatTtlMs: number, log: Logger) {
  const replicas = createReplicaSet({ redis: o.redis, replicaId, url: o.replicaUrl, ttlMs: o.ttlMs, log })
  const registry = createRedisAgentRegistry({
    redis: o.redis,
    replicaId,
    aliveReplicas: (ids) => replicas.alive(ids),
    ttlMs: o.ttlMs,
    heartbeatTtlMs,
    log,
  })
  let started = false
  // After an outage (or a Redis that restarted empty) this replica's key and connections are written again.
  o.redis.onReady(() => {
    if (!started) return
    void replicas
      .start()
      .then(() => registry.republish())
      .catch((err) => log.warn({ err: err.message }, "could not publish this replica again after Redis came back"))
  })

  return {
    registry,
    replicaSecret: o.replicaSecret,
    /** Serves other replicas' hand-overs with this replica's own connections. */
    async start(deliverHere: (agentId: string, command: Command) => boolean): Promise<void> {
      replicas.handle(async (body) => isDeliver(body) && deliverHere(body.agentId, body.command))
      await redisReady(o.redis)
      await replicas.start()
      started = true
    },
    /** Hands a command to the replica holding the agent; false when it could not (it is retried later). */
    async deliver(to: string, agentId: string, command: Command): Promise<boolean> {
      try {
        return (await replicas.request(to, { type: "deliver", agentId, command }, o.handOverTimeoutMs ?? 2_000)) === true
      } catch (err) {
        if (!(err instanceof ReplicaUnreachable)) throw err
        log.warn({ replica: to, agentId, commandId: command.commandId, reason: err.message }, "command hand-over failed")
        return false
      }
    },
    async openStream(to: string, sessionId: string, handlers: StreamHandlers, timeoutMs: number): Promise<AgentStream> {
      const url = await replicas.urlOf(to).catch(() => null)
      if (!url) throw new StreamOpenFailed("The replica holding the session's agent is gone; the agent is reconnecting.")
      return openRemoteStream({ url, secret: o.replicaSecret, replicaId }, sessionId, handlers, timeoutMs)
    },
    async close(): Promise<void> {
      started = false
      await registry.close()
      await replicas.close()
    },
  }
}
export type Cluster = ReturnType<typeof createCluster>
