import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { Page, Session } from "@streamspace/schemas"
import { Value } from "@sinclair/typebox/value"
import { startTestCore, type TestCore } from "../../testing/test-core.ts"

let core: TestCore
let templateId: string

beforeAll(async () => {
  core = await startTestCore()
  const admin = await core.admin()
  const { data } = await admin.api.templates.post({
    name: "xterm",
    displayName: "XTerm",
    category: "Development",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 512 },
  })
  templateId = data?.id as string
})
afterAll(() => core.close())

describe("sessions", () => {
  test("a user launches a session from a template and it waits pending for an agent", async () => {
    const alice = await core.user("alice-launch")
    const { data, status } = await alice.api.sessions.post({ templateId })
    expect(status).toBe(201)
    expect(data?.state).toBe("pending")
    expect(data?.userId).toBe(alice.user.id)
    expect(data?.templateName).toBe("xterm")
    expect(data?.resources).toEqual({ cpu: 1, memory: 512 })
    const outbox = await core.db.sql`select type, payload from outbox where payload->>'sessionId' = ${data?.id as string}`
    expect(outbox.map((r) => r.type)).toEqual(["session.created"])
  })

  test("the list answers JSON of exactly the documented shape, the same session as GET, with its request id", async () => {
    const bea = await core.user("bea-list")
    const { data: created } = await bea.api.sessions.post({ templateId })
    const res = await bea.fetch("/api/v1/sessions", { headers: { "x-request-id": "list-check-1" } })
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toStartWith("application/json")
    expect(res.headers.get("x-request-id")).toBe("list-check-1")
    const body = await res.json()
    expect([...Value.Errors(Page(Session), body)]).toEqual([])
    const one = await (await bea.fetch(`/api/v1/sessions/${created?.id}`)).json()
    expect(body).toEqual({ items: [one], total: 1 })
  })

  test("a user cannot see another user's session", async () => {
    const [alice, bob] = await core.users("alice-own", "bob-own")
    const { data: s } = await alice!.api.sessions.post({ templateId })
    const res = await bob!.fetch(`/api/v1/sessions/${s?.id}`)
    expect(res.status).toBe(404)
    expect(res.headers.get("content-type")).toContain("application/problem+json")
    expect((await bob!.fetch(`/api/v1/sessions/${s?.id}`, { method: "DELETE" })).status).toBe(404)
    const { data: list } = await bob!.api.sessions.get({ query: {} })
    expect(list?.items.find((x) => x.id === s?.id)).toBeUndefined()
  })

  test("an admin lists every user's sessions with all=true, a user only their own", async () => {
    const [carol, dave] = await core.users("carol-list", "dave-list")
    await carol!.api.sessions.post({ templateId })
    await dave!.api.sessions.post({ templateId })
    const admin = await core.admin()
    const { data: all } = await admin.api.sessions.get({ query: { all: true } })
    const owners = new Set(all?.items.map((s) => s.userId))
    expect(owners.has(carol!.user.id) && owners.has(dave!.user.id)).toBe(true)
    const { data: own } = await carol!.api.sessions.get({ query: { all: true } })
    expect(own?.items.every((s) => s.userId === carol!.user.id)).toBe(true)
    expect(own?.total).toBe(1)
  })

  test("a bad template id is refused with the field named", async () => {
    const erin = await core.user("erin-bad")
    const res = await erin.fetch("/api/v1/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ templateId: "not-a-uuid" }),
    })
    expect(res.status).toBe(422)
    const problem = await res.json()
    expect(problem.code).toBe("VALIDATION_FAILED")
    expect(problem.errors[0].field).toBe("/templateId")
  })

  test("an unknown template answers 404, a malformed body 400", async () => {
    const frank = await core.user("frank-404")
    const { status } = await frank.api.sessions.post({ templateId: crypto.randomUUID() })
    expect(status).toBe(404)
    const res = await frank.fetch("/api/v1/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    })
    expect(res.status).toBe(400)
    expect((await res.json()).code).toBe("MALFORMED_REQUEST")
  })

  test("a user may not ask for more resources than the template offers", async () => {
    const gina = await core.user("gina-res")
    const res = await gina.api.sessions.post({ templateId, resources: { cpu: 8 } })
    expect(res.status).toBe(403)
    const op = await core.user("olga-op", "operator")
    const ok = await op.api.sessions.post({ templateId, resources: { cpu: 2 } })
    expect(ok.status).toBe(201)
    expect(ok.data?.resources.cpu).toBe(2)
  })

  test("deleting a pending session stops it; deleting a stopped one removes it", async () => {
    const hank = await core.user("hank-del")
    const { data: s } = await hank.api.sessions.post({ templateId })
    const first = await hank.fetch(`/api/v1/sessions/${s?.id}`, { method: "DELETE" })
    expect(first.status).toBe(202)
    expect((await first.json()).state).toBe("stopped")
    const second = await hank.fetch(`/api/v1/sessions/${s?.id}`, { method: "DELETE" })
    expect(second.status).toBe(204)
    expect((await hank.fetch(`/api/v1/sessions/${s?.id}`)).status).toBe(404)
  })

  test("anonymous callers are refused before their body is looked at", async () => {
    const res = await core.fetch("/api/v1/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ templateId: 42 }),
    })
    expect(res.status).toBe(401)
    expect((await res.json()).code).toBe("UNAUTHENTICATED")
  })
})
