// Redis connections for several control-plane replicas: one for commands, one for pub/sub (a subscribed connection can do nothing else).
import Redis from "ioredis"
import type { Logger } from "./log.ts"

export interface RedisLink {
  /** Commands; fails fast (no offline queue) while Redis is away, so callers can fall back. */
  client: Redis
  /** Subscriptions only; ioredis subscribes again after every reconnect. */
  subscriber: Redis
  /** Key prefix, `streamspace` unless a test isolates itself. */
  prefix: string
  /** Called after every (re)connection once both connections are ready: state that lived only in Redis must be written again. */
  onReady(listener: () => void): void
  close(): Promise<void>
}

export function connectRedis(url: string, log: Logger, prefix = "streamspace"): RedisLink {
  const options = {
    // Commands during an outage fail at once instead of piling up; the registry falls back to what this replica holds.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // Reconnect quickly and keep trying: a Redis restart takes a second or two.
    retryStrategy: (times: number) => Math.min(50 * times, 500),
    lazyConnect: false,
  }
  const client = new Redis(url, { ...options, connectionName: "streamspace-core" })
  const subscriber = new Redis(url, { ...options, enableOfflineQueue: true, connectionName: "streamspace-core-sub" })
  const listeners: (() => void)[] = []
  let warned = false
  for (const [name, conn] of [
    ["commands", client],
    ["pubsub", subscriber],
  ] as const) {
    conn.on("error", (err: Error) => {
      // One line per outage, not one per retry.
      if (!warned) log.warn({ err: err.message, connection: name }, "Redis is unreachable; retrying")
      warned = true
    })
  }
  client.on("ready", () => {
    if (warned) log.info("Redis is reachable again")
    warned = false
    for (const listener of listeners) listener()
  })
  return {
    client,
    subscriber,
    prefix,
    onReady: (listener) => listeners.push(listener),
    async close() {
      await Promise.allSettled([client.quit(), subscriber.quit()])
      client.disconnect()
      subscriber.disconnect()
    },
  }
}

/** Resolves once the command connection is ready (start-up waits for it; a bad URL fails here with one line). */
export function redisReady(link: RedisLink, timeoutMs = 10_000): Promise<void> {
  if (link.client.status === "ready") return Promise.resolve()
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs)
    link.client.once("ready", () => {
      clearTimeout(timer)
      resolve()
    })
  })
}
