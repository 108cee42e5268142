// transition(): the one way a session changes state, checked against the state machine on a real database.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { Session, SessionState } from "@streamspace/schemas"
import { InvalidTransition, NotFound } from "../../http/errors.ts"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { registerAgent } from "../agents/service.ts"
import { transition } from "./service.ts"

let core: TestCore
let owner: TestUser
let templateId: string

const launch = async (): Promise<Session> => (await owner.api.sessions.post({ templateId })).data as Session
const eventsOf = async (sessionId: string) =>
  (await core.db.sql<{ type: string }[]>`select type from outbox where payload->>'sessionId' = ${sessionId} order by id`).map(
    (r) => r.type,
  )

beforeAll(async () => {
  core = await startTestCore()
  const admin = await core.admin()
  const { data } = await admin.api.templates.post({
    name: "machine",
    displayName: "Machine",
    category: "Test",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 256 },
  })
  templateId = data?.id as string
  owner = await core.user("machine-owner")
})
afterAll(() => core.close())

describe("transition()", () => {
  test("walks a session through its lifecycle, stamping times and writing events in the same step", async () => {
    const s = await launch()
    const agent = await registerAgent(core.deps, { name: "machine-agent", platform: "docker" })
    const starting = await transition(core.deps, s.id, "starting", { agentId: agent.id })
    expect(starting).toMatchObject({ state: "starting", agentId: agent.id, startedAt: null })
    const running = await transition(core.deps, s.id, "running")
    expect(running.startedAt).not.toBeNull()
    for (const to of ["hibernating", "hibernated", "waking", "running", "stopping"] as SessionState[])
      expect((await transition(core.deps, s.id, to)).state).toBe(to)
    // A second run keeps the first start time.
    expect((await core.deps.sql`select started_at from sessions where id = ${s.id}`)[0]?.startedAt).toBe(running.startedAt)
    const stopped = await transition(core.deps, s.id, "stopped", { reason: "stopped by user" })
    expect(stopped).toMatchObject({ state: "stopped", reason: "stopped by user" })
    expect(stopped.stoppedAt).not.toBeNull()
    expect(await eventsOf(s.id)).toEqual([
      "session.created",
      "session.starting",
      "session.started",
      "session.hibernating",
      "session.hibernated",
      "session.waking",
      "session.woken", // running again after waking: a wake, not a start
      "session.stopping",
      "session.stopped",
    ])
    // Every state change names the agent the session is on.
    const payloads = await core.deps.sql<{ type: string; payload: Record<string, unknown> }[]>`
      select type, payload from outbox where payload->>'sessionId' = ${s.id} and type <> 'session.created' order by id`
    for (const { payload } of payloads) expect(payload).toMatchObject({ sessionId: s.id, userId: s.userId, agentId: agent.id })
  })

  test("a step the state machine refuses throws INVALID_STATE_TRANSITION and changes nothing", async () => {
    const s = await launch()
    const error = await transition(core.deps, s.id, "running").catch((e: unknown) => e)
    expect(error).toBeInstanceOf(InvalidTransition)
    expect(error).toMatchObject({ code: "INVALID_STATE_TRANSITION", status: 409 })
    expect((error as Error).message).toBe("A session that is pending cannot become running.")
    const after = (await owner.api.sessions({ id: s.id }).get()).data
    expect(after?.state).toBe("pending")
    expect(after?.updatedAt).toEqual(s.updatedAt)
    expect(await eventsOf(s.id)).toEqual(["session.created"])
  })

  test("a stopped session goes nowhere", async () => {
    const s = await launch()
    await transition(core.deps, s.id, "stopped")
    for (const to of ["pending", "starting", "running", "failed", "stopping"] as SessionState[])
      await expect(transition(core.deps, s.id, to)).rejects.toBeInstanceOf(InvalidTransition)
  })

  test("any active session can fail, with its reason kept and an event written", async () => {
    const s = await launch()
    await transition(core.deps, s.id, "starting")
    const failed = await transition(core.deps, s.id, "failed", { reason: "image not found" })
    expect(failed).toMatchObject({ state: "failed", reason: "image not found" })
    expect(failed.stoppedAt).not.toBeNull()
    expect(await eventsOf(s.id)).toEqual(["session.created", "session.starting", "session.failed"])
  })

  test("an unknown session is NotFound", async () => {
    await expect(transition(core.deps, crypto.randomUUID(), "starting")).rejects.toBeInstanceOf(NotFound)
  })

  test("two racing updates from the same state: exactly one wins", async () => {
    const s = await launch()
    const results = await Promise.allSettled([
      transition(core.deps, s.id, "starting"),
      transition(core.deps, s.id, "starting"),
      transition(core.deps, s.id, "starting"),
    ])
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1)
    for (const r of results.filter((r) => r.status === "rejected"))
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(InvalidTransition)
  })
})

describe("stopping through the API", () => {
  test("a session on an agent goes to stopping and the scheduler is asked to stop it (recording fake scheduler)", async () => {
    const asked: { created: string[]; stopping: string[] } = { created: [], stopping: [] }
    core.deps.scheduler = {
      sessionCreated: (s) => void asked.created.push(s.id),
      sessionStopping: (s) => void asked.stopping.push(s.id),
      sessionHibernating: () => {},
      sessionWaking: () => {},
    }
    try {
      const s = await launch()
      expect(asked.created).toEqual([s.id])
      const agent = await registerAgent(core.deps, { name: "stop-agent", platform: "docker" })
      await transition(core.deps, s.id, "starting", { agentId: agent.id })
      await transition(core.deps, s.id, "running")
      const res = await owner.fetch(`/api/v1/sessions/${s.id}`, { method: "DELETE" })
      expect(res.status).toBe(202)
      expect((await res.json()).state).toBe("stopping")
      expect(asked.stopping).toEqual([s.id])
      // Asking again while it stops is a state-machine refusal, not a second stop command.
      const again = await owner.fetch(`/api/v1/sessions/${s.id}`, { method: "DELETE" })
      expect(again.status).toBe(409)
      expect((await again.json()).code).toBe("INVALID_STATE_TRANSITION")
      expect(asked.stopping).toEqual([s.id])
    } finally {
      delete core.deps.scheduler
    }
  })

  test("GET answers the owner's session; an admin may read and stop anyone's", async () => {
    const s = await launch()
    const got = await owner.api.sessions({ id: s.id }).get()
    expect(got.status).toBe(200)
    expect(got.data).toMatchObject({ id: s.id, state: "pending", userId: owner.user.id })
    const admin = await core.admin()
    expect((await admin.api.sessions({ id: s.id }).get()).status).toBe(200)
    expect((await admin.fetch(`/api/v1/sessions/${s.id}`, { method: "DELETE" })).status).toBe(202)
  })

  test("listing filters by state and pages", async () => {
    const lister = await core.user("machine-lister")
    const made: Session[] = []
    for (let i = 0; i < 3; i++) made.push((await lister.api.sessions.post({ templateId })).data as Session)
    await transition(core.deps, made[0]?.id as string, "stopped")
    const pending = await lister.fetch("/api/v1/sessions?state=pending")
    expect((await pending.json()).total).toBe(2)
    const page = await (await lister.fetch("/api/v1/sessions?limit=1&offset=1")).json()
    expect(page.items).toHaveLength(1)
    expect(page.total).toBe(3)
    expect(page.items[0].id).toBe(made[1]?.id)
    const pastTheEnd = await (await lister.fetch("/api/v1/sessions?offset=10")).json()
    expect(pastTheEnd).toEqual({ items: [], total: 3 })
    const bad = await lister.fetch("/api/v1/sessions?state=asleep")
    expect(bad.status).toBe(422)
    expect((await bad.json()).errors[0].field).toBe("query:/state")
  })
})
