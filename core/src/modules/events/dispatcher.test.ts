import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { DeadLetter } from "@streamspace/schemas"
import { eventually } from "../../testing/eventually.ts"
import { xtermTemplate } from "../../testing/templates.ts"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { probeManifest, upload } from "../plugins/test-fixtures.ts"
import { installRecorder, seenBy, triesOf } from "./test-fixtures.ts"

// Real plugin runtime (Node + isolated-vm) and real database; quick retries so the story fits a test.
describe("event delivery to plugins", () => {
  let core: TestCore
  let admin: TestUser
  let user: TestUser
  let templateId: string

  beforeAll(async () => {
    core = await startTestCore({
      plugins: true,
      events: { maxAttempts: 3, backoff: { initialMs: 100, maxMs: 400 }, pollMs: 500 },
    })
    admin = await core.admin()
    user = await core.user("eve")
    templateId = await xtermTemplate(admin)
  })
  afterAll(() => core.close())

  const launch = async () => {
    const res = await user.fetch("/api/v1/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ templateId }),
    })
    expect(res.status).toBe(201)
    return ((await res.json()) as { id: string }).id
  }

  test("a subscribed plugin receives the event its state change committed; others do not", async () => {
    const sessions = await installRecorder(admin, "test.rec-sessions", ["session.*"])
    const users = await installRecorder(admin, "test.rec-users", ["user.created"])
    const sessionId = await launch()
    const seen = await eventually(async () => {
      const got = (await seenBy(core, sessions)).filter((e) => e.data.sessionId === sessionId)
      expect(got.length).toBe(1)
      return got
    }, 30_000)
    expect(seen[0]?.type).toBe("session.created")
    expect(seen[0]?.data.userId).toBe(user.user.id)
    await core.user("frank")
    await eventually(async () => expect((await seenBy(core, users)).map((e) => e.data.username)).toContain("frank"), 30_000)
    expect((await seenBy(core, users)).some((e) => e.type.startsWith("session."))).toBe(false)
  })

  test("a plugin that fails twice gets the event a third time, and keeps it", async () => {
    const flaky = await installRecorder(admin, "test.rec-flaky", ["session.created"], 2)
    const sessionId = await launch()
    const [event] = await eventually(async () => {
      const got = (await seenBy(core, flaky)).filter((e) => e.data.sessionId === sessionId)
      expect(got.length).toBe(1)
      return got
    }, 30_000)
    expect(await triesOf(core, flaky, event?.id as string)).toBe(3)
    await eventually(async () => {
      const [row] = await core.db
        .sql`select status, attempts from event_deliveries where install_id = ${flaky} and event_id = ${event?.id as string}`
      expect(row).toMatchObject({ status: "delivered", attempts: 3 })
    })
    // Throwing from an event handler asks for the event again; it does not stop the plugin.
    expect(core.plugins.liveStatus(flaky)?.state).toBe("running")
  })

  test("after its last attempt a delivery is a dead letter; an admin sees it and replays it", async () => {
    const stubborn = await installRecorder(admin, "test.rec-stubborn", ["session.created"], 99)
    const sessionId = await launch()
    const dead = await eventually(async () => {
      const res = await admin.fetch(`/api/v1/events/dead-letters?installId=${stubborn}`)
      expect(res.status).toBe(200)
      const page = (await res.json()) as { items: DeadLetter[]; total: number }
      const mine = page.items.find((d) => d.event.data.sessionId === sessionId)
      expect(mine).toBeDefined()
      return mine as DeadLetter
    }, 30_000)
    expect(dead).toMatchObject({ installId: stubborn, pluginId: "test.rec-stubborn", attempts: 3 })
    expect(dead.event.type).toBe("session.created")
    expect(dead.lastError?.message).toContain("refusing event")
    expect(await triesOf(core, stubborn, dead.eventId)).toBe(3)
    expect((await user.fetch("/api/v1/events/dead-letters")).status).toBe(403)

    const fixed = await admin.fetch(`/api/v1/plugins/${stubborn}`, {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ config: { failTimes: 0 } }),
    })
    expect(fixed.status).toBe(200)
    const replay = await admin.fetch(`/api/v1/events/dead-letters/${dead.eventId}/${stubborn}/replay`, { method: "POST" })
    expect(replay.status).toBe(202)
    await eventually(async () => expect((await seenBy(core, stubborn)).map((e) => e.id)).toContain(dead.eventId), 30_000)
    const again = await admin.fetch(`/api/v1/events/dead-letters/${dead.eventId}/${stubborn}/replay`, { method: "POST" })
    expect(again.status).toBe(404)

    await core.auditSettled()
    const audit = await core.db.sql`select outcome from audit_events where action = 'event.replay' order by id`
    expect(audit.map((r) => r.outcome).sort()).toEqual(["failure", "success"]) // the replay, then the 404
  })

  test("a malformed dead-letter address is a 422 naming the field", async () => {
    const res = await admin.fetch("/api/v1/events/dead-letters/not-a-number/also-bad/replay", { method: "POST" })
    expect(res.status).toBe(422)
    expect(((await res.json()) as { errors: { field: string }[] }).errors.map((e) => e.field).join(" ")).toContain("eventId")
  })

  // Last: the probes refuse launches.
  test("a refused launch is quota.denied and a plugin that loops is plugin.failed, both delivered", async () => {
    const watcher = await installRecorder(admin, "test.rec-watch", ["quota.denied", "plugin.failed"])
    const install = async (id: string, action: string, failMode: "open" | "closed") => {
      const manifest = probeManifest({
        id,
        hooks: [{ name: "session.beforeCreate", failMode }],
        limits: { memoryMb: 16, hookTimeoutMs: 300 },
      })
      const res = await admin.fetch("/api/v1/plugins", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ ...upload(manifest), grant: {}, config: { action } }),
      })
      expect(res.status).toBe(201)
      return ((await res.json()) as { id: string }).id
    }
    const looper = await install("test.looper", "loop", "open")
    const post = () =>
      user.fetch("/api/v1/sessions", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ templateId }),
      })
    expect((await post()).status).toBe(201) // fail-open: the looper is stopped and the launch goes ahead
    const denier = await install("test.denier", "deny", "open")
    expect((await post()).status).toBe(403)
    const got = await eventually(async () => {
      const seen = await seenBy(core, watcher)
      expect(seen.map((e) => e.type).sort()).toEqual(["plugin.failed", "quota.denied"])
      return seen
    }, 30_000)
    expect(got.find((e) => e.type === "quota.denied")?.data).toMatchObject({
      userId: user.user.id,
      templateId,
      code: "PROBE",
      pluginId: "test.denier",
    })
    expect(got.find((e) => e.type === "plugin.failed")?.data).toMatchObject({
      installId: looper,
      pluginId: "test.looper",
      code: "PLUGIN_TIMEOUT",
    })
    for (const id of [looper, denier]) expect((await admin.fetch(`/api/v1/plugins/${id}`, { method: "DELETE" })).status).toBe(204)
  })

  test("delivered events older than the retention are removed; dead letters and recent events stay", async () => {
    const [old, dead, recent] = await core.db.sql<{ id: string }[]>`insert into outbox (type, payload, created_at, dispatched_at)
      values ('user.created', '{}', now() - interval '8 days', now()), ('user.created', '{}', now() - interval '8 days', now()),
        ('user.created', '{}', now(), now())
      returning id::text as id`
    const installId = ((await core.db.sql`select id from plugin_installs limit 1`)[0] as { id: string }).id
    await core.db.sql`insert into event_deliveries (event_id, install_id, status) values
      (${old?.id as string}, ${installId}, 'delivered'), (${dead?.id as string}, ${installId}, 'dead')`
    await core.events.prune()
    const left = (
      await core.db.sql<{ id: string }[]>`select id::text as id from outbox
      where id = any(${[old?.id, dead?.id, recent?.id] as string[]}::bigint[])`
    ).map((r) => r.id)
    expect(left.sort()).toEqual([dead?.id, recent?.id].sort() as string[])
  })
})
