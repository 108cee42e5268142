// Fans an event out to the endpoints whose filter matches and sends to each until it succeeds.
import type { PluginEvent } from "@streamspace/sdk/plugin"
import { attempt, type SendOptions } from "./send.ts"
import {
  type Delivery,
  deliveryId,
  type Endpoint,
  getDelivery,
  getEndpoint,
  getFanout,
  listEndpoints,
  nowIso,
  pruneDeliveries,
  putDelivery,
  putFanout,
} from "./store.ts"

/** The same rule as manifests' event patterns: exact, `prefix.*`, or `*`. */
export const matches = (patterns: readonly string[], type: string): boolean =>
  patterns.some((p) => p === "*" || p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))))

export const newDelivery = async (endpoint: Endpoint, messageId: string, eventType: string, body: string): Promise<Delivery> => {
  const at = await nowIso()
  const delivery: Delivery = {
    id: await deliveryId(),
    endpointId: endpoint.id,
    url: endpoint.url,
    messageId,
    eventType,
    state: "pending",
    attempts: 0,
    history: [],
    body,
    createdAt: at,
    updatedAt: at,
  }
  await putDelivery(delivery)
  return delivery
}

/** The Standard Webhooks payload: type, timestamp, data. */
export const payload = (type: string, timestamp: string, data: unknown): string => JSON.stringify({ type, timestamp, data })

/**
 * Delivers one event. On its first call the matching endpoints are fixed (a later endpoint does not get
 * an old event); on the dispatcher's retries only deliveries that have not succeeded are sent again.
 * Throws when any failed, which tells the dispatcher to retry the event with its backoff.
 */
export async function deliverEvent(event: PluginEvent, options: SendOptions & { logCap: number }): Promise<void> {
  let fanout = await getFanout(event.id)
  if (fanout === null) {
    const targets = (await listEndpoints()).filter((e) => e.enabled && matches(e.events, event.type))
    if (targets.length === 0) return
    const body = payload(event.type, event.at, event.data)
    fanout = {}
    for (const endpoint of targets) fanout[endpoint.id] = (await newDelivery(endpoint, event.id, event.type, body)).id
    await putFanout(event.id, fanout)
    await pruneDeliveries(options.logCap)
  }
  const outcomes = await Promise.all(
    Object.entries(fanout).map(async ([endpointId, id]) => {
      const [endpoint, delivery] = await Promise.all([getEndpoint(endpointId), getDelivery(id)])
      // Gone from the log, succeeded, or the endpoint was deleted or disabled since: nothing left to send.
      if (delivery === null || delivery.state === "succeeded" || endpoint === null || !endpoint.enabled) return true
      return (await attempt(endpoint, delivery, "event", options)).state === "succeeded"
    }),
  )
  const failed = outcomes.filter((ok) => !ok).length
  if (failed > 0) throw new Error(`${failed} of ${outcomes.length} webhook deliveries of ${event.id} failed; retry later.`)
}
