// The webhooks plugin in the real runtime (Node + isolated-vm) against the SDK's in-memory host and a real loopback receiver.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test"
import { join } from "node:path"
import type { PluginManifest } from "@streamspace/schemas"
import { type PluginHarness, startPluginHarness } from "@streamspace/sdk/plugin/testing"
import { verify } from "@streamspace/sdk/webhooks"
import manifestJson from "../manifest.json"
import type { DeliverySummary, PublicEndpoint } from "./store.ts"
import { startReceiver, type TestReceiver } from "./test-receiver.ts"

const manifest = manifestJson as PluginManifest
const ADMIN = { id: "0b7c2a8e-4f51-4d3a-9c8e-000000000001", username: "root", role: "admin" as const }

let plugin: PluginHarness
let receiver: TestReceiver

beforeAll(async () => {
  receiver = startReceiver()
  plugin = await startPluginHarness({
    manifest,
    entry: join(import.meta.dir, "plugin.ts"),
    config: { requestTimeoutMs: 2000, logCap: 10 },
  })
})
afterAll(async () => {
  await plugin.stop()
  receiver.stop()
})
beforeEach(() => {
  receiver.received.length = 0
  receiver.script = {}
})

const action = async (name: string, input: Record<string, unknown> = {}) => {
  const outcome = await plugin.hook("plugin.action", { action: name, input, actor: ADMIN })
  if (outcome.decidedBy !== "plugin") throw new Error(`the plugin did not answer: ${JSON.stringify(outcome)}`)
  return outcome.output
}
const result = async <T>(name: string, input: Record<string, unknown> = {}): Promise<T> => {
  const output = await action(name, input)
  if (!output.ok) throw new Error(`${name} refused: ${output.code} ${output.message}`)
  return output.result as T
}

/** How the test reaches the in-memory host's kv as the plugin does. */
const ctx = { installId: "test-install", pluginId: manifest.id, permissions: manifest.permissions }

const createEndpoint = (url: string, events = ["*"]) =>
  result<PublicEndpoint & { secret: string }>("endpoints.create", { url, events, description: "", enabled: true })

/** Endpoints of earlier tests would receive this test's events: each test starts with none. */
beforeEach(async () => {
  for (const e of await result<PublicEndpoint[]>("endpoints.list")) await result("endpoints.delete", { id: e.id })
})

describe("webhooks plugin", () => {
  test("an event reaches a matching endpoint as a Standard Webhooks request that verify() accepts", async () => {
    const endpoint = await createEndpoint(receiver.url(), ["session.*"])
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/)
    const data = { sessionId: "5e0d7a1c-1111-4a2b-8c3d-000000000001", userId: ADMIN.id }
    expect((await plugin.event("session.started", data, "evt-1")).delivered).toBe(true)
    expect((await plugin.event("user.created", { userId: ADMIN.id })).delivered).toBe(true) // filtered out
    expect(receiver.received).toHaveLength(1)
    const [request] = receiver.received
    expect(request?.headers["content-type"]).toBe("application/json")
    expect(verify(endpoint.secret, request?.body ?? "", request?.headers ?? {})).toMatchObject({ id: "evt-1" })
    expect(JSON.parse(request?.body ?? "")).toMatchObject({ type: "session.started", data })
  })

  test("a receiver that fails 3 times then succeeds gets exactly 4 attempts, all validly signed, and no more", async () => {
    const endpoint = await createEndpoint(receiver.url())
    const healthy = await createEndpoint(receiver.url("/healthy"))
    receiver.script = { "/hook": [500, 503, 500] }
    const outcomes = []
    // The dispatcher retries the same event id while the plugin reports a failure; here the test is the dispatcher.
    for (let i = 0; i < 5; i++) outcomes.push((await plugin.event("session.failed", { reason: "x" }, "evt-retry")).delivered)
    expect(outcomes).toEqual([false, false, false, true, true])
    const first = receiver.received.filter((r) => r.path === "/hook")
    const second = receiver.received.filter((r) => r.path === "/healthy")
    // The healthy endpoint got the event once: retries go only where the delivery failed.
    expect([first.length, second.length]).toEqual([4, 1])
    for (const r of first) expect(verify(endpoint.secret, r.body, r.headers).id).toBe("evt-retry")
    for (const r of second) expect(verify(healthy.secret, r.body, r.headers).id).toBe("evt-retry")
    const logOf = async (id: string) =>
      (await result<DeliverySummary[]>("deliveries", { endpointId: id })).map((d) => [d.state, d.attempts])
    expect(await logOf(endpoint.id)).toEqual([["succeeded", 4]])
    expect(await logOf(healthy.id)).toEqual([["succeeded", 1]])
  })

  test("each attempt is logged with its status, response code and duration", async () => {
    const endpoint = await createEndpoint(receiver.url())
    receiver.script = { "/hook": [500, 500, 500] }
    for (let i = 0; i < 4; i++) await plugin.event("agent.connected", { agentId: "a" }, "evt-log")
    const [delivery] = await result<DeliverySummary[]>("deliveries", { endpointId: endpoint.id, limit: "5" })
    expect(delivery?.history.map((a) => [a.attempt, a.outcome, a.responseCode, a.trigger])).toEqual([
      [1, "failed", 500, "event"],
      [2, "failed", 500, "event"],
      [3, "failed", 500, "event"],
      [4, "succeeded", 200, "event"],
    ])
    for (const a of delivery?.history ?? []) expect(a.durationMs).toBeGreaterThanOrEqual(0)
  })

  test("test-ping sends a signed webhook.ping now and answers the delivery", async () => {
    const endpoint = await createEndpoint(receiver.url())
    const delivery = await result<DeliverySummary>("ping", { id: endpoint.id })
    expect(delivery).toMatchObject({ eventType: "webhook.ping", state: "succeeded", attempts: 1 })
    expect(delivery.history[0]?.responseCode).toBe(200)
    const [request] = receiver.received
    expect(verify(endpoint.secret, request?.body ?? "", request?.headers ?? {}).id).toBe(delivery.messageId)
    expect(JSON.parse(request?.body ?? "")).toMatchObject({ type: "webhook.ping", data: { endpointId: endpoint.id } })
  })

  test("redeliver sends a logged delivery again with the same webhook-id and a fresh signature", async () => {
    const endpoint = await createEndpoint(receiver.url())
    await plugin.event("user.created", { userId: ADMIN.id }, "evt-again")
    const [logged] = await result<DeliverySummary[]>("deliveries", { limit: "1" })
    const again = await result<DeliverySummary>("redeliver", { id: logged?.id })
    expect(again.attempts).toBe(2)
    expect(again.history[1]?.trigger).toBe("redeliver")
    expect(receiver.received).toHaveLength(2)
    for (const r of receiver.received) expect(verify(endpoint.secret, r.body, r.headers).id).toBe("evt-again")
    expect(receiver.received[0]?.body).toBe(receiver.received[1]?.body)
  })

  test("an unreachable endpoint is a failed attempt with no response code and the reason", async () => {
    const gone = startReceiver()
    const url = gone.url()
    gone.stop()
    const endpoint = await createEndpoint(url)
    const delivery = await result<DeliverySummary>("ping", { id: endpoint.id })
    expect(delivery.state).toBe("failed")
    expect(delivery.history[0]?.responseCode).toBeNull()
    expect(delivery.history[0]?.error).toContain("HOST_CALL_FAILED")
  })

  test("after a secret rotation deliveries carry both signatures: old and new secrets both verify", async () => {
    const endpoint = await createEndpoint(receiver.url())
    const rotated = await result<{ secret: string }>("endpoints.rotateSecret", { id: endpoint.id })
    expect(rotated.secret).not.toBe(endpoint.secret)
    await result("ping", { id: endpoint.id })
    const [request] = receiver.received
    expect(request?.headers["webhook-signature"]?.split(" ")).toHaveLength(2)
    expect(verify(rotated.secret, request?.body ?? "", request?.headers ?? {}).id).toBeTruthy()
    expect(verify(endpoint.secret, request?.body ?? "", request?.headers ?? {}).id).toBeTruthy()
  })

  test("secrets are answered once and never listed; a disabled endpoint gets nothing", async () => {
    const endpoint = await createEndpoint(receiver.url())
    const listed = await result<Record<string, unknown>[]>("endpoints.list")
    expect(listed).toHaveLength(1)
    expect(JSON.stringify(listed)).not.toContain("whsec_")
    await result("endpoints.update", { id: endpoint.id, enabled: false })
    expect((await plugin.event("session.created", {})).delivered).toBe(true)
    expect(receiver.received).toHaveLength(0)
  })

  test("the log keeps at most logCap deliveries, newest first", async () => {
    const endpoint = await createEndpoint(receiver.url())
    for (let i = 0; i < 12; i++) await result("ping", { id: endpoint.id })
    const log = await result<DeliverySummary[]>("deliveries", { limit: "200" })
    expect(log).toHaveLength(10)
    const times = log.map((d) => d.id)
    expect([...times].sort().reverse()).toEqual(times)
  })

  test("fifty endpoints all get an event without flooding the host, and a fifty-first is refused", async () => {
    const endpoints = []
    for (let i = 0; i < 50; i++) endpoints.push(await createEndpoint(receiver.url(`/many/${i}`), ["session.created"]))
    expect(
      await action("endpoints.create", { url: receiver.url(), events: ["*"], description: "", enabled: true }),
    ).toMatchObject({ ok: false, status: 409, code: "WEBHOOK_ENDPOINT_LIMIT" })
    expect((await plugin.event("session.created", { n: 1 })).delivered).toBe(true)
    expect(new Set(receiver.received.map((r) => r.path)).size).toBe(50)
    expect(plugin.status().state).toBe("running")
    // The log cap (10) pruned the other 40 deliveries in the same call.
    expect(await result<DeliverySummary[]>("deliveries", { limit: "200" })).toHaveLength(10)
  })

  test("an endpoint's kv record holds no secret: its signing secrets are host secrets, gone with the endpoint", async () => {
    const endpoint = await createEndpoint(receiver.url())
    const rotated = await result<{ secret: string }>("endpoints.rotateSecret", { id: endpoint.id })
    const record = await plugin.host.kv.get(ctx, `ep:${endpoint.id}`)
    expect(record).toMatchObject({ id: endpoint.id, url: receiver.url() })
    expect(JSON.stringify(record)).not.toContain("whsec_")
    expect(Object.fromEntries(plugin.host.ownSecrets.get(plugin.installId) ?? [])).toEqual({
      [`${endpoint.id}.current`]: rotated.secret,
      [`${endpoint.id}.previous`]: endpoint.secret,
    })
    await result("endpoints.delete", { id: endpoint.id })
    expect(plugin.host.ownSecrets.get(plugin.installId)?.size).toBe(0)
  })

  test("an endpoint stored with plain secrets by an earlier version is moved into host secrets when read, and still signs", async () => {
    const id = "ep_00000000000000aa"
    const [secret, previousSecret] = [`whsec_${"A".repeat(43)}=`, `whsec_${"B".repeat(43)}=`]
    const at = new Date().toISOString()
    const legacy = {
      id,
      url: receiver.url("/legacy"),
      events: ["*"],
      description: "",
      enabled: true,
      createdAt: at,
      updatedAt: at,
    }
    await plugin.host.kv.set(
      ctx,
      `ep:${id}`,
      { ...legacy, secret, previousSecret, previousUntil: Date.now() + 3_600_000 },
      { quotaBytes: manifest.permissions.kv?.quotaBytes ?? 0 },
    )
    expect((await plugin.event("session.created", {}, "evt-legacy")).delivered).toBe(true)
    const [request] = receiver.received
    expect(verify(secret, request?.body ?? "", request?.headers ?? {}).id).toBe("evt-legacy")
    expect(verify(previousSecret, request?.body ?? "", request?.headers ?? {}).id).toBe("evt-legacy")
    const record = (await plugin.host.kv.get(ctx, `ep:${id}`)) as Record<string, unknown>
    expect(record).not.toHaveProperty("secret")
    expect(record).not.toHaveProperty("previousSecret")
    expect(JSON.stringify(record)).not.toContain("whsec_")
    const own = plugin.host.ownSecrets.get(plugin.installId)
    expect([own?.get(`${id}.current`), own?.get(`${id}.previous`)]).toEqual([secret, previousSecret])
    // A rotation from there keeps the moved secret as the previous one.
    const rotated = await result<{ secret: string }>("endpoints.rotateSecret", { id })
    receiver.received.length = 0
    await result("ping", { id })
    const [ping] = receiver.received
    expect(verify(rotated.secret, ping?.body ?? "", ping?.headers ?? {}).id).toBeTruthy()
    expect(verify(secret, ping?.body ?? "", ping?.headers ?? {}).id).toBeTruthy()
  })

  test("a legacy endpoint is also moved when only listed", async () => {
    const id = "ep_00000000000000bb"
    const at = new Date().toISOString()
    const secret = `whsec_${"C".repeat(43)}=`
    await plugin.host.kv.set(
      ctx,
      `ep:${id}`,
      { id, url: receiver.url(), events: ["*"], description: "", enabled: true, createdAt: at, updatedAt: at, secret },
      { quotaBytes: manifest.permissions.kv?.quotaBytes ?? 0 },
    )
    const listed = await result<PublicEndpoint[]>("endpoints.list")
    expect(JSON.stringify(listed)).not.toContain("whsec_")
    expect(JSON.stringify(await plugin.host.kv.get(ctx, `ep:${id}`))).not.toContain("whsec_")
    expect(plugin.host.ownSecrets.get(plugin.installId)?.get(`${id}.current`)).toBe(secret)
  })

  test("an endpoint whose secret is gone fails its attempts with the reason instead of sending unsigned", async () => {
    const endpoint = await createEndpoint(receiver.url())
    plugin.host.ownSecrets.get(plugin.installId)?.delete(`${endpoint.id}.current`)
    const delivery = await result<DeliverySummary>("ping", { id: endpoint.id })
    expect(delivery.state).toBe("failed")
    expect(delivery.history[0]?.error).toContain("no signing secret")
    expect(receiver.received).toHaveLength(0)
  })

  test("unknown ids are refused with a 404 code naming the field", async () => {
    expect(await action("ping", { id: "ep_0000000000000000" })).toMatchObject({
      ok: false,
      status: 404,
      code: "WEBHOOK_ENDPOINT_NOT_FOUND",
      field: "/id",
    })
    expect(await action("redeliver", { id: "dl_000000000000000000000" })).toMatchObject({
      ok: false,
      code: "WEBHOOK_DELIVERY_NOT_FOUND",
    })
  })
})
