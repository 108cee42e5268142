// The first-party webhooks plugin on the real core: outbox → dispatcher → plugin runtime → SSRF guard → a real receiver.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test"
import { join } from "node:path"
import type { PluginInstall, PluginManifest, Problem } from "@streamspace/schemas"
import { buildPlugin } from "@streamspace/sdk/plugin/build"
import { verify } from "@streamspace/sdk/webhooks"
import { eventually } from "../../testing/eventually.ts"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"

const WEBHOOKS = join(import.meta.dir, "..", "..", "..", "..", "plugins", "webhooks")

interface Received {
  path: string
  headers: Record<string, string>
  body: string
}

// Bound to every local address so that only the guard, not the socket, keeps 127.0.0.2 out.
const received: Received[] = []
let script: Record<string, number[]> = {}
const receiver = Bun.serve({
  port: 0,
  hostname: "0.0.0.0",
  fetch: async (request) => {
    const headers: Record<string, string> = {}
    request.headers.forEach((value, name) => {
      headers[name] = value
    })
    const path = new URL(request.url).pathname
    received.push({ path, headers, body: await request.text() })
    return new Response(null, { status: script[path]?.shift() ?? 204 })
  },
})
const urlOf = (path: string, host = "127.0.0.1") => `http://${host}:${receiver.port}${path}`

let core: TestCore
let admin: TestUser
let installId: string

const act = (method: "GET" | "POST", action: string, input: Record<string, unknown> = {}) =>
  method === "GET"
    ? admin.fetch(`/api/v1/plugins/${installId}/actions/${action}?${new URLSearchParams(input as Record<string, string>)}`)
    : admin.fetch(`/api/v1/plugins/${installId}/actions/${action}`, {
        method,
        headers: { "content-type": "application/json" },
        body: JSON.stringify(input),
      })
const ok = async <T>(res: Response | Promise<Response>): Promise<T> => {
  const r = await res
  if (r.status !== 200) throw new Error(`${r.status} ${await r.text()}`)
  return (await r.json()) as T
}
interface Endpoint {
  id: string
  secret: string
}
interface Delivery {
  id: string
  messageId: string
  state: string
  attempts: number
  history: { outcome: string; responseCode: number | null; error?: string; trigger: string }[]
}
const createEndpoint = (url: string, events: string[]) => ok<Endpoint>(act("POST", "endpoints.create", { url, events }))

beforeAll(async () => {
  // The operator allows exactly the test's own receiver address; everything else private stays refused.
  core = await startTestCore({
    plugins: { httpAllowPrivate: ["127.0.0.1"] },
    events: { maxAttempts: 6, backoff: { initialMs: 100, maxMs: 400 }, pollMs: 300 },
  })
  admin = await core.admin()
  const manifest = (await Bun.file(join(WEBHOOKS, "manifest.json")).json()) as PluginManifest
  const { code } = await buildPlugin(join(WEBHOOKS, "src", "plugin.ts"))
  const res = await admin.fetch("/api/v1/plugins", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      source: "upload",
      manifest,
      bundle: code,
      grant: {
        http: { allow: ["http://*"] },
        kv: { quotaBytes: 4 * 1024 * 1024 },
        crypto: true,
        secretStore: { maxSecrets: 100 },
      },
      config: { requestTimeoutMs: 3000 },
    }),
  })
  if (res.status !== 201) throw new Error(`install failed: ${res.status} ${await res.text()}`)
  installId = ((await res.json()) as PluginInstall).id
})
afterAll(async () => {
  await core.close()
  receiver.stop(true)
})
beforeEach(() => {
  received.length = 0
  script = {}
})

describe("webhooks through the real control plane", () => {
  test("a receiver that fails 3 times then succeeds gets exactly the retries, each validly signed", async () => {
    const endpoint = await createEndpoint(urlOf("/flaky"), ["user.created"])
    script = { "/flaky": [500, 502, 503] }
    const bob = await core.user("bob-webhooks")
    const mine = () =>
      received.filter(
        (r) => r.path === "/flaky" && (JSON.parse(r.body) as { data: { userId: string } }).data.userId === bob.user.id,
      )
    await eventually(() => expect(mine().length).toBeGreaterThanOrEqual(4), 60_000)
    const eventId = mine()[0]?.headers["webhook-id"] as string
    // The dispatcher records the event as delivered once the 4th attempt succeeded: no 5th can follow.
    await eventually(async () => {
      const [row] = await core.db.sql<{ status: string; attempts: number }[]>`
        select status, attempts from event_deliveries where install_id = ${installId} and event_id = ${eventId}`
      expect(row).toEqual({ status: "delivered", attempts: 4 })
    }, 30_000)
    const requests = mine()
    expect(requests).toHaveLength(4)
    const ids = requests.map((r) => verify(endpoint.secret, r.body, r.headers).id)
    expect(new Set(ids).size).toBe(1) // one message, retried under the same webhook-id
    expect(JSON.parse(requests[3]?.body ?? "")).toMatchObject({ type: "user.created", data: { userId: bob.user.id } })
    const log = await ok<Delivery[]>(act("GET", "deliveries", { endpointId: endpoint.id }))
    expect(log[0]?.history.map((a) => a.responseCode)).toEqual([500, 502, 503, 204])
  })

  test("test-ping and redeliver go out at once and land in the delivery log", async () => {
    const endpoint = await createEndpoint(urlOf("/ping"), ["session.*"])
    const ping = await ok<Delivery>(act("POST", "ping", { id: endpoint.id }))
    expect(ping).toMatchObject({ state: "succeeded", attempts: 1 })
    const again = await ok<Delivery>(act("POST", "redeliver", { id: ping.id }))
    expect(again.history.map((a) => a.trigger)).toEqual(["ping", "redeliver"])
    expect(received).toHaveLength(2)
    for (const r of received) expect(verify(endpoint.secret, r.body, r.headers).id).toBe(ping.messageId)
    const one = await ok<Delivery & { body: string }>(act("GET", "delivery", { id: ping.id }))
    expect(JSON.parse(one.body)).toMatchObject({ type: "webhook.ping" })
  })

  test("signing secrets are encrypted in plugin_secrets, and neither kv nor that table holds them in plain text", async () => {
    const endpoint = await createEndpoint(urlOf("/at-rest"), ["session.*"])
    const rotated = await ok<Endpoint>(act("POST", "endpoints.rotateSecret", { id: endpoint.id }))
    const [kv] = await core.db.sql`select value from plugin_kv where install_id = ${installId} and key = ${`ep:${endpoint.id}`}`
    expect(kv?.value).toMatchObject({ id: endpoint.id })
    const [all] = await core.db.sql`select
        (select string_agg(t::text, ' ') from plugin_kv t) as kv,
        (select string_agg(encode(iv || ciphertext || tag, 'escape'), ' ') from plugin_secrets) as secrets`
    for (const secret of [endpoint.secret, rotated.secret]) {
      const key = secret.slice("whsec_".length)
      expect(String(all?.kv)).not.toContain(key)
      expect(String(all?.secrets)).not.toContain(key)
    }
    const names = await core.db
      .sql`select owner, name from plugin_secrets where install_id = ${installId} and name like ${`${endpoint.id}.%`}
      order by name`
    expect([...names]).toEqual([
      { owner: "plugin", name: `${endpoint.id}.current` },
      { owner: "plugin", name: `${endpoint.id}.previous` },
    ])
    const ping = await ok<Delivery>(act("POST", "ping", { id: endpoint.id }))
    const [request] = received
    expect(verify(rotated.secret, request?.body ?? "", request?.headers ?? {}).id).toBe(ping.messageId)
    expect(verify(endpoint.secret, request?.body ?? "", request?.headers ?? {}).id).toBe(ping.messageId)
    await ok(act("POST", "endpoints.delete", { id: endpoint.id }))
    const left = await core.db
      .sql`select name from plugin_secrets where install_id = ${installId} and name like ${`${endpoint.id}.%`}`
    expect(left).toHaveLength(0)
  })

  test("endpoints on private addresses the operator did not allow are refused and never contacted", async () => {
    for (const host of ["127.0.0.2", "169.254.169.254", "[::ffff:127.0.0.2]"]) {
      const endpoint = await createEndpoint(urlOf("/private", host), ["*"])
      const ping = await ok<Delivery>(act("POST", "ping", { id: endpoint.id }))
      expect(ping.state).toBe("failed")
      expect(ping.history[0]?.responseCode).toBeNull()
      expect(ping.history[0]?.error).toContain("HOST_PERMISSION_DENIED")
    }
    expect(received.filter((r) => r.path === "/private")).toHaveLength(0)
  })

  test("bad input is a 422 naming the field; a missing endpoint is the plugin's 404", async () => {
    const bad = await act("POST", "endpoints.create", { url: "ftp://example.com/x" })
    expect(bad.status).toBe(422)
    expect(((await bad.json()) as Problem).errors?.[0]?.field).toBe("/url")
    const missing = await act("POST", "ping", { id: "ep_0000000000000000" })
    expect(missing.status).toBe(404)
    expect(((await missing.json()) as Problem).code).toBe("WEBHOOK_ENDPOINT_NOT_FOUND")
  })
})
