// The webhooks plugin's records: endpoints, deliveries (the log, capped) and each event's fan-out in its kv; signing secrets in host secrets.
import { clock, crypto, kv, secrets } from "host:api"
import { HOST_CALLS_AT_ONCE, mapLimited } from "./pool.ts"

/** The kv record holds no secret: the signing secrets are host secrets, encrypted at rest by the core. */
export interface Endpoint {
  id: string
  url: string
  /** Event types, `prefix.*` patterns or `*`. */
  events: string[]
  description: string
  enabled: boolean
  /** After a rotation, deliveries also carry a signature with the previous secret until then (ms). */
  previousUntil?: number
  createdAt: string
  updatedAt: string
}
export type PublicEndpoint = Omit<Endpoint, "previousUntil">

/** An endpoint as versions before 1.1 stored it: its `whsec_…` secrets in plain text in the kv record. */
type StoredEndpoint = Endpoint & { secret?: string; previousSecret?: string }

/** `current` is answered once at creation or rotation and never listed; `previous` signs during a rotation's grace. */
export type SecretSlot = "current" | "previous"
const secretName = (endpointId: string, slot: SecretSlot) => `${endpointId}.${slot}`
export const getSigningSecret = (endpointId: string, slot: SecretSlot) => secrets.get(secretName(endpointId, slot))
export const setSigningSecret = (endpointId: string, slot: SecretSlot, value: string) =>
  secrets.set(secretName(endpointId, slot), value)

export type Trigger = "event" | "redeliver" | "ping"

export interface Attempt {
  /** 1 for the first attempt of this delivery, counting on across retries and redeliveries. */
  attempt: number
  trigger: Trigger
  at: string
  outcome: "succeeded" | "failed"
  /** The endpoint's HTTP status, or null when no answer came (refused, unreachable, timed out). */
  responseCode: number | null
  durationMs: number
  error?: string
}

export interface Delivery {
  id: string
  endpointId: string
  url: string
  /** The webhook-id header: the event id (or ping_…), the same for every attempt, so receivers can deduplicate. */
  messageId: string
  eventType: string
  state: "pending" | "succeeded" | "failed"
  attempts: number
  /** The latest attempts (at most MAX_ATTEMPTS_KEPT). */
  history: Attempt[]
  body: string
  createdAt: string
  updatedAt: string
}
export type DeliverySummary = Omit<Delivery, "body">

const MAX_ATTEMPTS_KEPT = 20
/** An event's fan-out is remembered long enough for every retry of the dispatcher. */
const FANOUT_TTL_SECONDS = 7 * 24 * 3600

export const publicEndpoint = ({ previousUntil: _u, ...rest }: Endpoint): PublicEndpoint => rest

export const summary = ({ body: _b, ...rest }: Delivery): DeliverySummary => rest

export const newSecret = async (): Promise<string> => `whsec_${await crypto.randomBytes(32, "base64")}`

export const nowIso = async (): Promise<string> => new Date(await clock.now()).toISOString()

export const endpointId = async (): Promise<string> => `ep_${await crypto.randomBytes(8, "hex")}`

/** Sortable by creation time: the log lists in key order. */
export const deliveryId = async (): Promise<string> =>
  `dl_${String(await clock.now()).padStart(13, "0")}${await crypto.randomBytes(4, "hex")}`

export const putEndpoint = (e: Endpoint) => kv.set(`ep:${e.id}`, e)

/**
 * A record read from kv, with plain secrets an earlier version left in it moved into host secrets and
 * removed from the record (the secrets first: a failure in between leaves a record that still signs).
 */
const withoutPlainSecrets = async (stored: StoredEndpoint | null): Promise<Endpoint | null> => {
  if (stored === null) return null
  const { secret, previousSecret, ...endpoint } = stored
  if (secret === undefined && previousSecret === undefined) return stored
  if (secret !== undefined) await setSigningSecret(endpoint.id, "current", secret)
  if (previousSecret !== undefined) await setSigningSecret(endpoint.id, "previous", previousSecret)
  await putEndpoint(endpoint)
  return endpoint
}

const readEndpoint = async (key: string) => withoutPlainSecrets((await kv.get(key)) as StoredEndpoint | null)

export const getEndpoint = (id: string) => readEndpoint(`ep:${id}`)

/** The record goes first: an endpoint that is listed always has its secret. */
export const deleteEndpoint = async (id: string): Promise<boolean> => {
  const existed = await kv.delete(`ep:${id}`)
  await secrets.delete(secretName(id, "current"))
  await secrets.delete(secretName(id, "previous"))
  return existed
}

export const listEndpoints = async (): Promise<Endpoint[]> => {
  const keys = await kv.list("ep:", 1000)
  const all = await mapLimited(keys, HOST_CALLS_AT_ONCE, readEndpoint)
  return all.filter((e): e is Endpoint => e !== null).sort((a, b) => a.createdAt.localeCompare(b.createdAt))
}

export const getDelivery = async (id: string) => (await kv.get(`dl:${id}`)) as Delivery | null
export const putDelivery = (d: Delivery) => kv.set(`dl:${d.id}`, d)

export const recordAttempt = async (d: Delivery, attempt: Omit<Attempt, "attempt">): Promise<Delivery> => {
  d.attempts += 1
  d.history = [...d.history, { attempt: d.attempts, ...attempt }].slice(-MAX_ATTEMPTS_KEPT)
  d.state = attempt.outcome
  d.updatedAt = attempt.at
  await putDelivery(d)
  return d
}

/** Newest first; the log holds at most the configured cap, so one listing sees it all. */
export const listDeliveries = async (filter: { endpointId?: string; limit: number }): Promise<DeliverySummary[]> => {
  const keys = (await kv.list("dl:", 1000)).reverse()
  const out: DeliverySummary[] = []
  for (const key of keys) {
    if (out.length >= filter.limit) break
    const d = (await kv.get(key)) as Delivery | null
    if (d !== null && (filter.endpointId === undefined || d.endpointId === filter.endpointId)) out.push(summary(d))
  }
  return out
}

/** Drops the oldest deliveries beyond the cap. */
export const pruneDeliveries = async (cap: number): Promise<void> => {
  const keys = await kv.list("dl:", 1000)
  await mapLimited(keys.slice(0, Math.max(0, keys.length - cap)), HOST_CALLS_AT_ONCE, (k) => kv.delete(k))
}

/**
 * Which endpoints an event goes to, fixed at its first call so retries go to the same ones, and which are
 * done. Kept apart from the log, so a delivery the log cap pushed out is still sent until it succeeds.
 */
export type Fanout = Record<string, { delivery: string; done: boolean }>
export const getFanout = async (eventId: string) => (await kv.get(`ev:${eventId}`)) as Fanout | null
export const putFanout = (eventId: string, fanout: Fanout) => kv.set(`ev:${eventId}`, fanout, { ttlSeconds: FANOUT_TTL_SECONDS })
