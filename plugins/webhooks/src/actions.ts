// The plugin's admin actions: manage endpoints, read the delivery log, redeliver, ping. Input is checked by the core.
import { crypto } from "host:api"
import type { HookOutput } from "@streamspace/sdk/plugin"
import { newDelivery, payload } from "./deliver.ts"
import { attempt, type SendOptions } from "./send.ts"
import {
  deleteEndpoint,
  type Endpoint,
  endpointId,
  getDelivery,
  getEndpoint,
  getSigningSecret,
  listDeliveries,
  listEndpoints,
  newSecret,
  nowIso,
  pruneDeliveries,
  publicEndpoint,
  putEndpoint,
  setSigningSecret,
  summary,
} from "./store.ts"

type Answer = HookOutput<"plugin.action">
type Input = Record<string, unknown>

const ok = (result: unknown): Answer => ({ ok: true, result })
const notFound = (what: string, field = "/id"): Answer => ({
  ok: false,
  status: 404,
  code: what === "endpoint" ? "WEBHOOK_ENDPOINT_NOT_FOUND" : "WEBHOOK_DELIVERY_NOT_FOUND",
  message: `No webhook ${what} has this id.`,
  field,
})

const ROTATION_GRACE_MS = 24 * 3600 * 1000
/** Every endpoint of an event is sent within one 5-second call, 16 at a time: this keeps a fan-out to one or two rounds. */
const MAX_ENDPOINTS = 50

export type ActionOptions = SendOptions & { logCap: number }

const actions: Record<string, (input: Input, options: ActionOptions) => Promise<Answer>> = {
  "endpoints.list": async () => ok((await listEndpoints()).map(publicEndpoint)),

  "endpoints.create": async (input) => {
    if ((await listEndpoints()).length >= MAX_ENDPOINTS)
      return {
        ok: false,
        status: 409,
        code: "WEBHOOK_ENDPOINT_LIMIT",
        message: `There are already ${MAX_ENDPOINTS} endpoints; delete one first.`,
      }
    const at = await nowIso()
    const endpoint: Endpoint = {
      id: await endpointId(),
      url: input.url as string,
      events: input.events as string[],
      description: input.description as string,
      enabled: input.enabled as boolean,
      createdAt: at,
      updatedAt: at,
    }
    const secret = await newSecret()
    await setSigningSecret(endpoint.id, "current", secret)
    await putEndpoint(endpoint)
    return ok({ ...publicEndpoint(endpoint), secret })
  },

  "endpoints.update": async (input) => {
    const endpoint = await getEndpoint(input.id as string)
    if (endpoint === null) return notFound("endpoint")
    const { id: _id, ...changes } = input
    const updated: Endpoint = { ...endpoint, ...(changes as Partial<Endpoint>), updatedAt: await nowIso() }
    await putEndpoint(updated)
    return ok(publicEndpoint(updated))
  },

  "endpoints.delete": async (input) =>
    (await deleteEndpoint(input.id as string)) ? ok({ deleted: true }) : notFound("endpoint"),

  "endpoints.rotateSecret": async (input) => {
    const endpoint = await getEndpoint(input.id as string)
    if (endpoint === null) return notFound("endpoint")
    const now = Date.parse(await nowIso())
    const previous = await getSigningSecret(endpoint.id, "current")
    const secret = await newSecret()
    // The old secret is kept as the previous one before it is replaced: no moment without it.
    if (previous !== null) await setSigningSecret(endpoint.id, "previous", previous)
    await setSigningSecret(endpoint.id, "current", secret)
    const rotated: Endpoint = {
      ...endpoint,
      previousUntil: previous === null ? undefined : now + ROTATION_GRACE_MS,
      updatedAt: new Date(now).toISOString(),
    }
    await putEndpoint(rotated)
    return ok({
      ...publicEndpoint(rotated),
      secret,
      previousSecretValidUntil: previous === null ? null : new Date(now + ROTATION_GRACE_MS).toISOString(),
    })
  },

  ping: async (input, options) => {
    const endpoint = await getEndpoint(input.id as string)
    if (endpoint === null) return notFound("endpoint")
    const at = await nowIso()
    const messageId = `ping_${await crypto.randomBytes(12, "hex")}`
    const delivery = await newDelivery(
      endpoint,
      messageId,
      "webhook.ping",
      payload("webhook.ping", at, { endpointId: endpoint.id }),
    )
    const sent = await attempt(endpoint, delivery, "ping", options)
    await pruneDeliveries(options.logCap)
    return ok(summary(sent))
  },

  deliveries: async (input) =>
    ok(await listDeliveries({ endpointId: input.endpointId as string | undefined, limit: Number(input.limit ?? 50) })),

  delivery: async (input) => {
    const delivery = await getDelivery(input.id as string)
    return delivery === null ? notFound("delivery") : ok(delivery)
  },

  redeliver: async (input, options) => {
    const delivery = await getDelivery(input.id as string)
    if (delivery === null) return notFound("delivery")
    const endpoint = await getEndpoint(delivery.endpointId)
    if (endpoint === null)
      return { ok: false, status: 409, code: "WEBHOOK_ENDPOINT_GONE", message: "The delivery's endpoint was deleted." }
    return ok(summary(await attempt(endpoint, delivery, "redeliver", options)))
  },
}

export const runAction = (action: string, input: Input, options: ActionOptions): Promise<Answer> => {
  const run = actions[action]
  if (run === undefined)
    return Promise.resolve({ ok: false, status: 404, code: "PLUGIN_ACTION_NOT_FOUND", message: `No action ${action}.` })
  return run(input, options)
}
