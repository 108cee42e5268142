// Share changes reach viewers on every replica: a Redis channel carries "close this user's viewers of this session".
import type { Logger } from "../../infra/log.ts"
import type { RedisLink } from "../../infra/redis.ts"
import { ViewerRegistry } from "./viewer-registry.ts"

/** A viewer registry whose closeUser also reaches the other replicas' viewers. */
export function viewerRegistryOnRedis(redis: RedisLink, log: Logger): ViewerRegistry {
  const channel = `${redis.prefix}:viewers`
  const viewers = new ViewerRegistry({
    publish: (close) =>
      void redis.client
        .publish(channel, JSON.stringify(close))
        .catch((err: Error) => log.error({ err: err.message }, "could not tell the other replicas to close a viewer")),
  })
  void redis.subscriber.subscribe(channel).catch((err: Error) => log.error({ err: err.message }, "viewer channel"))
  redis.subscriber.on("message", (from: string, text: string) => {
    if (from !== channel) return
    try {
      const m = JSON.parse(text) as { sessionId?: unknown; userId?: unknown; reason?: unknown }
      if (typeof m.sessionId === "string" && typeof m.userId === "string" && typeof m.reason === "string")
        viewers.closeHere(m.sessionId, m.userId, m.reason)
    } catch {
      log.warn("ignored a malformed viewer message")
    }
  })
  return viewers
}
