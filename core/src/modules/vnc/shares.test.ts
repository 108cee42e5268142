import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"

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

async function sessionOf(owner: TestUser) {
  const { data } = await owner.api.sessions.post({ templateId })
  return data?.id as string
}
const connect = (who: TestUser, sessionId: string) => who.fetch(`/api/v1/sessions/${sessionId}/connect`, { method: "POST" })
const share = (who: TestUser, sessionId: string, body: Record<string, unknown>) =>
  who.fetch(`/api/v1/sessions/${sessionId}/shares`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  })

describe("viewer tickets", () => {
  test("the owner gets a short-lived ticket with control and the WebSocket path that takes it", async () => {
    const alice = await core.user("alice-ticket")
    const id = await sessionOf(alice)
    const res = await connect(alice, id)
    expect(res.status).toBe(200)
    const ticket = await res.json()
    expect(ticket.level).toBe("control")
    expect(ticket.state).toBe("pending")
    expect(ticket.ticket).toStartWith("svt_")
    expect(ticket.url).toBe(`/api/v1/vnc/${id}?ticket=${encodeURIComponent(ticket.ticket)}`)
    const ttl = Date.parse(ticket.expiresAt) - Date.now()
    expect(ttl).toBeGreaterThan(0)
    expect(ttl).toBeLessThanOrEqual(30_000)
  })

  test("another user, without a share, learns nothing: 404", async () => {
    const [alice, mallory] = await core.users("alice-t2", "mallory-t2")
    const id = await sessionOf(alice!)
    expect((await connect(mallory!, id)).status).toBe(404)
    expect((await core.fetch(`/api/v1/sessions/${id}/connect`, { method: "POST" })).status).toBe(401)
  })

  test("an admin gets control of anyone's session", async () => {
    const alice = await core.user("alice-t3")
    const id = await sessionOf(alice)
    const res = await connect(await core.admin(), id)
    expect((await res.json()).level).toBe("control")
  })

  test("a stopped session has no desktop to connect to", async () => {
    const alice = await core.user("alice-t4")
    const id = await sessionOf(alice)
    await alice.fetch(`/api/v1/sessions/${id}`, { method: "DELETE" })
    const res = await connect(alice, id)
    expect(res.status).toBe(409)
    expect((await res.json()).code).toBe("SESSION_NOT_RUNNING")
  })
})

describe("shares", () => {
  test("a view share gives a view ticket, a control share a control ticket, and granting again replaces it", async () => {
    const [alice, bob] = await core.users("alice-s1", "bob-s1")
    const id = await sessionOf(alice!)
    const granted = await share(alice!, id, { username: "bob-s1", level: "view" })
    expect(granted.status).toBe(201)
    const s = await granted.json()
    expect(s).toMatchObject({ sessionId: id, userId: bob!.user.id, username: "bob-s1", level: "view", expiresAt: null })
    expect((await (await connect(bob!, id)).json()).level).toBe("view")

    await share(alice!, id, { username: "bob-s1", level: "control" })
    expect((await (await connect(bob!, id)).json()).level).toBe("control")
    const list = await (await alice!.fetch(`/api/v1/sessions/${id}/shares`)).json()
    expect(list).toHaveLength(1)
    expect(list[0].level).toBe("control")
  })

  test("the grantee sees what is shared with them, with owner, app and state; expired shares and ended sessions give nothing", async () => {
    const [alice, bob] = await core.users("alice-s2", "bob-s2")
    const live = await sessionOf(alice!)
    const soon = await sessionOf(alice!)
    const ended = await sessionOf(alice!)
    await share(alice!, live, { username: "bob-s2", level: "view" })
    await share(alice!, ended, { username: "bob-s2", level: "view" })
    expect((await alice!.fetch(`/api/v1/sessions/${ended}`, { method: "DELETE" })).ok).toBe(true)
    const inAnHour = new Date(Date.now() + 3_600_000).toISOString()
    await share(alice!, soon, { username: "bob-s2", level: "control", expiresAt: inAnHour })
    expect((await connect(bob!, soon)).status).toBe(200)
    // Time passes for this share: its end moves into the past (the database's clock decides expiry).
    await core.db.sql`update session_shares set expires_at = now() - interval '1 second' where session_id = ${soon}`
    expect((await connect(bob!, soon)).status).toBe(404)
    const mine = await (await bob!.fetch("/api/v1/shares")).json()
    expect(mine).toEqual([
      expect.objectContaining({ sessionId: live, level: "view", owner: "alice-s2", templateName: "xterm", state: "pending" }),
    ])
  })

  test("revoking a share takes access away; only the owner or an admin may manage shares", async () => {
    const [alice, bob, carol] = await core.users("alice-s3", "bob-s3", "carol-s3")
    const id = await sessionOf(alice!)
    const s = await (await share(alice!, id, { username: "bob-s3", level: "control" })).json()
    // A grantee cannot re-share or revoke: the session is not theirs.
    expect((await share(bob!, id, { username: "carol-s3", level: "view" })).status).toBe(404)
    expect((await bob!.fetch(`/api/v1/sessions/${id}/shares/${s.id}`, { method: "DELETE" })).status).toBe(404)
    expect((await carol!.fetch(`/api/v1/sessions/${id}/shares`)).status).toBe(404)

    const admin = await core.admin()
    expect((await admin.fetch(`/api/v1/sessions/${id}/shares`)).status).toBe(200)
    const revoked = await admin.fetch(`/api/v1/sessions/${id}/shares/${s.id}`, { method: "DELETE" })
    expect(revoked.status).toBe(204)
    expect((await connect(bob!, id)).status).toBe(404)
    expect((await alice!.fetch(`/api/v1/sessions/${id}/shares/${s.id}`, { method: "DELETE" })).status).toBe(404)
    await core.auditSettled()
    const actions = await core.db.sql`select action, outcome from audit_events where target_id = ${id} order by at`
    expect(actions.map((a) => `${a.action}:${a.outcome}`)).toContain("session.unshare:success")
  })

  test("bad grants are refused with the field named", async () => {
    const [alice] = await core.users("alice-s4", "bob-s4")
    const id = await sessionOf(alice!)
    const cases: [Record<string, unknown>, string][] = [
      [{ username: "nobody-here", level: "view" }, "/username"],
      [{ username: "alice-s4", level: "view" }, "/username"],
      [{ username: "alice-s4", level: "admin" }, "level"],
      [{ username: "bob-s4", level: "view", expiresAt: new Date(Date.now() - 1000).toISOString() }, "/expiresAt"],
      [{ username: "bob-s4", level: "view", expiresAt: "tomorrow" }, "expiresAt"],
    ]
    for (const [body, field] of cases) {
      const res = await share(alice!, id, body)
      expect(res.status).toBe(422)
      const problem = await res.json()
      expect(problem.errors.map((e: { field: string }) => e.field).join(" ")).toContain(field)
    }
  })
})
