import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { Session, SessionState } from "@streamspace/schemas"
import { eventually } from "../../testing/eventually.ts"
import { FakeAgent } from "../../testing/fake-agent.ts"
import { startTestCore, type TestCore } from "../../testing/test-core.ts"

let core: TestCore
let templateId: string

beforeAll(async () => {
  core = await startTestCore({
    agents: { heartbeatIntervalMs: 300, commandTimeoutMs: 10_000, ackTimeoutMs: 2_000, sweepIntervalMs: 50 },
  })
  const admin = await core.admin()
  const { data } = await admin.api.templates.post({
    name: "xterm",
    displayName: "XTerm",
    category: "Development",
    image: "streamspace/desktop:latest",
    vncPort: 5901,
    resources: { cpu: 1, memory: 512 },
    env: {},
    homePath: "/home/dev",
  })
  templateId = data?.id as string
})
afterAll(() => core.close())

/** Two replicas of one agent: `a` leads with term 1, `b` follows; `bFirst`: b's connection is the older one. */
async function replicas(name: string, bFirst = false) {
  const admin = await core.admin()
  const { data } = await admin.api.agents.post({ name, platform: "docker" })
  const token = data?.token as string
  const connect = (instanceId: string, leader: boolean) =>
    FakeAgent.online(core.url as string, token, {
      autoAck: true,
      autoHeartbeat: true,
      hello: leader ? { instanceId, fencingToken: 1 } : { instanceId, leader: false },
    })
  const b = bFirst ? await connect("b", false) : null
  const a = await connect("a", true)
  return { a, b: b ?? (await connect("b", false)), agentId: data?.id as string }
}

const stateOf = async (id: string) =>
  (await core.db.sql<{ state: SessionState }[]>`select state from sessions where id = ${id}`)[0]?.state

async function launch(name: string): Promise<Session> {
  const user = await core.user(name)
  const { data, status } = await user.api.sessions.post({ templateId })
  expect(status).toBe(201)
  return data as Session
}

describe("fencing tokens (fake agent replicas)", () => {
  test("after leader.changed with a higher term, commands go to the new leader and the old leader's result is refused", async () => {
    const { a, b, agentId } = await replicas("fenced")
    const session = await launch("fence-alice")
    const first = await a.next("command")
    expect(first.action).toBe("session.start")
    expect(b.count("command")).toBe(0)

    Object.assign(b, { leader: true, fencingToken: 2 })
    const changedAt = performance.now()
    b.send({ type: "leader.changed", leader: true, fencingToken: 2 })
    // The new leader is welcomed afresh (to reconcile), then the open command goes out again, to it only, within a second.
    expect((await b.next("welcome", 5_000, (w) => w.sessions.length > 0)).sessions).toEqual([
      { sessionId: session.id, state: "starting" },
    ])
    const again = await b.next("command")
    expect(performance.now() - changedAt).toBeLessThan(1_000)
    expect(again.commandId).toBe(first.commandId)
    const order = b.messages.map((m) => (m.type === "welcome" ? (m.sessions.length ? "fresh welcome" : "welcome") : m.type))
    expect(order.indexOf("fresh welcome")).toBeLessThan(order.indexOf("command"))

    // The deposed leader finishes late: its result must not move the session.
    a.send({ type: "command.result", commandId: first.commandId, result: { sessionId: session.id, state: "running" } })
    a.send({ type: "session.status", sessionId: session.id, state: "failed", reason: "late write" })
    await core.hub?.settled()
    expect(await stateOf(session.id)).toBe("starting")

    b.send({ type: "command.result", commandId: again.commandId, result: { sessionId: session.id, state: "running" } })
    await eventually(async () => expect(await stateOf(session.id)).toBe("running"))
    const [row] = await core.db.sql<{ leaderInstance: string; leaderToken: string }[]>`
      select leader_instance, leader_token::text from agents where id = ${agentId}`
    expect(row).toEqual({ leaderInstance: "b", leaderToken: "2" })
    await Promise.all([a.close(), b.close()])
  })

  test("a deposed leader that still claims to lead (paused, then resumed) gets no commands", async () => {
    // b connected first: without terms, the newest connection claiming to lead (a) would win.
    const { a, b } = await replicas("resumed", true)
    Object.assign(b, { leader: true, fencingToken: 5 })
    b.send({ type: "leader.changed", leader: true, fencingToken: 5 })
    await core.hub?.settled()
    // a wakes up and heartbeats as if nothing happened, with its old term.
    a.send({ type: "heartbeat", capacity: { maxSessions: 10, runningSessions: 0 }, leader: true, fencingToken: 1, sessions: [] })
    a.send({ type: "leader.changed", leader: true, fencingToken: 1 })
    await core.hub?.settled()
    await launch("fence-bob")
    expect((await b.next("command")).action).toBe("session.start")
    expect(a.count("command")).toBe(0)
    await Promise.all([a.close(), b.close()])
  })

  test("a fencing token that is not a positive integer closes the connection with the field named", async () => {
    const { a, b } = await replicas("bad-token")
    b.send({ type: "leader.changed", leader: true, fencingToken: -3 })
    const closed = await b.closed
    expect(closed.code).toBe(1008)
    expect(closed.reason).toContain("/fencingToken")
    await a.close()
  })
})
