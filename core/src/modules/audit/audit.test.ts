// The audit trail through the real app: a row per mutating call, success or failure; filters and exports.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { AuditEvent } from "@streamspace/schemas"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"

let core: TestCore
let admin: TestUser

const rowsFor = async (requestId: string) => {
  await core.auditSettled()
  return core.db.sql<AuditEvent[]>`select * from audit_events where request_id = ${requestId}`
}
const send = (who: TestUser | TestCore, path: string, method: string, body?: unknown, requestId = crypto.randomUUID()) =>
  who
    .fetch(path, {
      method,
      headers: { "content-type": "application/json", "x-request-id": requestId },
      ...(body === undefined ? {} : { body: typeof body === "string" ? body : JSON.stringify(body) }),
    })
    .then((res) => ({ res, requestId }))

beforeAll(async () => {
  core = await startTestCore()
  admin = await core.admin()
})
afterAll(() => core.close())

describe("audit rows", () => {
  test("a successful call writes one row naming actor, action, target, outcome and request id", async () => {
    const { res, requestId } = await send(admin, "/api/v1/users", "POST", { username: "audited-user" })
    expect(res.status).toBe(201)
    expect(res.headers.get("x-request-id")).toBe(requestId)
    const created = await res.json()
    const rows = await rowsFor(requestId)
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({
      actorId: admin.user.id,
      actorName: admin.user.username,
      action: "user.create",
      targetType: "user",
      targetId: created.id,
      outcome: "success",
      status: 201,
    })
  })

  test("failed calls are recorded too, with the action named, whatever stopped them", async () => {
    const user = await core.user("audit-failures")
    const cases: [TestUser | TestCore, string, string, unknown, number, string, string | null][] = [
      [user, "/api/v1/users", "POST", { username: "nope" }, 403, "user.create", user.user.id],
      [core, "/api/v1/users", "POST", { username: "nope" }, 401, "user.create", null],
      [admin, "/api/v1/users", "POST", { username: "Bad Name" }, 422, "user.create", admin.user.id],
      [admin, "/api/v1/sessions", "POST", "{not json", 400, "session.create", admin.user.id],
      [user, `/api/v1/sessions/${crypto.randomUUID()}`, "DELETE", undefined, 404, "session.delete", user.user.id],
      [core, `/api/v1/agents/${crypto.randomUUID()}/revoke`, "POST", undefined, 401, "agent.revoke", null],
      [user, "/api/v1/templates/import", "POST", "templates: []", 403, "template.import", user.user.id],
    ]
    for (const [who, path, method, body, status, action, actorId] of cases) {
      const { res, requestId } = await send(who, path, method, body)
      expect(res.status).toBe(status)
      const rows = await rowsFor(requestId)
      expect(rows).toHaveLength(1)
      expect(rows[0]).toMatchObject({ action, actorId, outcome: "failure", status, requestId })
    }
  })

  test("the target of a call on an id is the id", async () => {
    const { data: t } = await admin.api.templates.post({
      name: "audit-target",
      displayName: "T",
      category: "C",
      image: "i",
      resources: { cpu: 1, memory: 128 },
    })
    const { requestId } = await send(admin, `/api/v1/templates/${t?.id}`, "PATCH", { displayName: "T2" })
    expect((await rowsFor(requestId))[0]).toMatchObject({ action: "template.update", targetType: "template", targetId: t?.id })
  })

  test("the catalog import row carries what it did", async () => {
    const file = "templates:\n  - {name: audit-imp, displayName: I, category: C, image: i, resources: {cpu: 1, memory: 128}}\n"
    const { requestId } = await send(admin, "/api/v1/templates/import", "POST", file)
    expect((await rowsFor(requestId))[0]?.detail).toEqual({ created: 1, updated: 0 })
  })

  test("reads write no rows", async () => {
    const { requestId } = await send(admin, "/api/v1/users", "GET")
    expect(await rowsFor(requestId)).toHaveLength(0)
  })

  test("a client's request id is kept when it is sane and replaced when it is not", async () => {
    const sane = await admin.fetch("/api/v1/me", { headers: { "x-request-id": "trace.abc-123_X" } })
    expect(sane.headers.get("x-request-id")).toBe("trace.abc-123_X")
    const forged = await admin.fetch("/api/v1/me", { headers: { "x-request-id": "bad id\twith spaces" } })
    expect(forged.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    const long = await admin.fetch("/api/v1/me", { headers: { "x-request-id": "x".repeat(65) } })
    expect(long.headers.get("x-request-id")).toHaveLength(36)
  })
})

describe("audit search and export", () => {
  let actor: TestUser
  let since: string

  beforeAll(async () => {
    since = new Date(Date.now() - 1000).toISOString()
    actor = await core.user("audit-searcher", "admin")
    await actor.api.users.post({ username: "searched-1" })
    await actor.api.users.post({ username: "searched-2" })
    await send(actor, "/api/v1/users", "POST", { username: "searched-1" }) // 409: a failure
    await send(actor, "/api/v1/agents", "POST", { name: "audit-agent", platform: "docker" })
    await core.auditSettled()
  })

  const search = async (query: string) => {
    const res = await admin.fetch(`/api/v1/audit?${query}`)
    expect(res.status).toBe(200)
    return (await res.json()) as { items: AuditEvent[]; total: number }
  }

  test("an admin filters by actor, action prefix, outcome, target and time", async () => {
    const byActor = await search(`actorId=${actor.user.id}`)
    expect(byActor.total).toBe(4)
    expect(byActor.items.every((r) => r.actorId === actor.user.id)).toBe(true)
    const users = await search(`actorId=${actor.user.id}&action=user.`)
    expect(users.items.map((r) => r.action)).toEqual(["user.create", "user.create", "user.create"])
    const failures = await search(`actorId=${actor.user.id}&outcome=failure`)
    expect(failures.items.map((r) => r.status)).toEqual([409])
    const agents = await search(`actorId=${actor.user.id}&targetType=agent`)
    expect(agents.items.map((r) => r.action)).toEqual(["agent.register"])
    const target = await search(`targetId=${agents.items[0]?.targetId}`)
    expect(target.total).toBe(1)
    expect((await search(`actorId=${actor.user.id}&since=${since}`)).total).toBe(4)
    expect((await search(`actorId=${actor.user.id}&until=${since}`)).total).toBe(0)
  })

  test("results come newest first and page with limit and offset", async () => {
    const all = await search(`actorId=${actor.user.id}`)
    const times = all.items.map((r) => Date.parse(r.at))
    expect(times).toEqual([...times].sort((a, b) => b - a))
    const page = await search(`actorId=${actor.user.id}&limit=2&offset=2`)
    expect(page.items.map((r) => r.id)).toEqual(all.items.slice(2, 4).map((r) => r.id))
    expect(page.total).toBe(4)
  })

  test("CSV export: a header, one line per row, filters applied", async () => {
    const res = await admin.fetch(`/api/v1/audit/export?format=csv&actorId=${actor.user.id}`)
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toStartWith("text/csv")
    expect(res.headers.get("content-disposition")).toMatch(/^attachment; filename="audit-\d{4}-\d{2}-\d{2}T\d{6}\.csv"$/)
    const lines = (await res.text()).trimEnd().split("\r\n")
    expect(lines[0]).toBe("at,actorName,actorId,action,targetType,targetId,outcome,status,ip,requestId,detail")
    expect(lines).toHaveLength(5)
    expect(lines.slice(1).every((l) => l.includes(`,audit-searcher,${actor.user.id},`))).toBe(true)
  })

  test("JSON export: an array of rows, filters applied", async () => {
    const res = await admin.fetch(`/api/v1/audit/export?format=json&actorId=${actor.user.id}&outcome=success`)
    expect(res.headers.get("content-type")).toBe("application/json")
    const rows = (await res.json()) as AuditEvent[]
    expect(rows).toHaveLength(3)
    expect(rows.every((r) => r.outcome === "success")).toBe(true)
  })

  test("bad filters name the field", async () => {
    for (const [query, field] of [
      ["outcome=maybe", "query:/outcome"],
      ["actorId=me", "query:/actorId"],
      ["since=yesterday", "query:/since"],
      ["limit=10001", "query:/limit"],
    ]) {
      const res = await admin.fetch(`/api/v1/audit?${query}`)
      expect(res.status).toBe(422)
      expect((await res.json()).errors[0].field).toBe(field)
    }
    expect((await admin.fetch("/api/v1/audit/export?format=xml")).status).toBe(422)
  })

  test("only admins read the trail", async () => {
    const op = await core.user("audit-op", "operator")
    expect((await op.fetch("/api/v1/audit")).status).toBe(403)
    expect((await op.fetch("/api/v1/audit/export?format=csv")).status).toBe(403)
    expect((await core.fetch("/api/v1/audit")).status).toBe(401)
  })
})
