// Fans an event out to the endpoints whose filter matches and sends to each until it succeeds.
import { clock } from "host:api"
import type { PluginEvent } from "@streamspace/sdk/plugin"
import { HOST_CALLS_AT_ONCE, mapLimited } from "./pool.ts"
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

/** The manifest's hookTimeoutMs: an event call that takes longer is stopped. */
const CALL_LIMIT_MS = 5000
const MARGIN_MS = 500

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
  const started = await clock.now()
  const body = payload(event.type, event.at, event.data)
  let fanout = await getFanout(event.id)
  if (fanout === null) {
    const targets = (await listEndpoints()).filter((e) => e.enabled && matches(e.events, event.type))
    if (targets.length === 0) return
    fanout = {}
    for (const endpoint of targets)
      fanout[endpoint.id] = { delivery: (await newDelivery(endpoint, event.id, event.type, body)).id, done: false }
    await putFanout(event.id, fanout)
  }
  const entries = Object.entries(fanout)
  // After the first round, an attempt starts only while it still fits in the call limit; the rest wait for
  // the dispatcher's retry (which skips what is done), so every call makes progress and none overruns.
  const startBy = started + CALL_LIMIT_MS - options.timeoutMs - MARGIN_MS
  let begun = 0
  await mapLimited(entries, HOST_CALLS_AT_ONCE, async ([endpointId, entry]) => {
    if (entry.done) return
    const endpoint = await getEndpoint(endpointId)
    // Deleted or disabled since: nothing more goes there.
    if (endpoint === null || !endpoint.enabled) {
      entry.done = true
      return
    }
    if (begun >= HOST_CALLS_AT_ONCE && (await clock.now()) > startBy) return
    begun++
    // Pushed out of the log by the cap while still failing: it gets a fresh log entry.
    const delivery = (await getDelivery(entry.delivery)) ?? (await newDelivery(endpoint, event.id, event.type, body))
    entry.delivery = delivery.id
    entry.done = (await attempt(endpoint, delivery, "event", options)).state === "succeeded"
  })
  await putFanout(event.id, fanout)
  await pruneDeliveries(options.logCap)
  const failed = entries.filter(([, entry]) => !entry.done).length
  if (failed > 0) throw new Error(`${failed} of ${entries.length} webhook deliveries of ${event.id} failed; retry later.`)
}
