import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test"
import type { Command, Session, SessionState } from "@streamspace/schemas"
import { eventually } from "../../testing/eventually.ts"
import { FakeAgent, fakeCapacity } from "../../testing/fake-agent.ts"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"

let core: TestCore
let templateId: string
let agents: FakeAgent[] = []
const TIMEOUT_MS = 1_500

beforeAll(async () => {
  core = await startTestCore({
    agents: { heartbeatIntervalMs: 300, commandTimeoutMs: TIMEOUT_MS, ackTimeoutMs: 100, maxAttempts: 3, sweepIntervalMs: 50 },
  })
  const admin = await core.admin()
  const { data } = await admin.api.templates.post({
    name: "xterm",
    displayName: "XTerm",
    category: "Development",
    image: "streamspace/desktop:latest",
    vncPort: 5901,
    resources: { cpu: 1, memory: 512 },
    env: { STREAMSPACE_APP: "xterm" },
    homePath: "/home/dev",
  })
  templateId = data?.id as string
})
afterAll(() => core.close())
// Each test brings its own agents: placement must not find another test's.
afterEach(async () => {
  await Promise.all(agents.map((a) => a.close()))
  agents = []
  await eventually(async () => expect((await core.db.sql`select 1 from agents where status = 'online'`).length).toBe(0))
})

async function onlineAgent(name: string, options: { maxSessions?: number; autoAck?: boolean } = {}) {
  const admin = await core.admin()
  const { data } = await admin.api.agents.post({ name, platform: "docker" })
  const agent = await FakeAgent.connect(core.url as string, data?.token as string, {
    autoAck: options.autoAck ?? true,
    autoHeartbeat: true,
  })
  agent.capacity = fakeCapacity(options.maxSessions ?? 10)
  await agent.sayHello()
  agents.push(agent)
  return Object.assign(agent, { id: data?.id as string, token: data?.token as string })
}

async function launch(user: TestUser): Promise<Session> {
  const { data, status } = await user.api.sessions.post({ templateId })
  expect(status).toBe(201)
  return data as Session
}

const sessionRow = async (id: string) =>
  (await core.db.sql<Session[]>`select id, state, reason, agent_id from sessions where id = ${id}`)[0] as Session

const untilState = (id: string, state: SessionState, timeoutMs = 5_000) =>
  eventually(async () => {
    const s = await sessionRow(id)
    expect(s.state).toBe(state)
    return s
  }, timeoutMs)

const commandsOf = (sessionId: string) =>
  core.db.sql<{ id: string; action: string; state: string; attempts: number; errorCode: string | null }[]>`
    select id, action, state, attempts, error_code from agent_commands where session_id = ${sessionId} order by created_at`

const answer = (agent: FakeAgent, command: Command, state: SessionState, reason?: string) =>
  agent.send({
    type: "command.result",
    commandId: command.commandId,
    result: { sessionId: command.sessionId, state, ...(reason ? { reason } : {}) },
  })

describe("sessions on agents", () => {
  test("a new session is placed on an online agent, started with the template's spec, and runs", async () => {
    const agent = await onlineAgent("runs-it")
    const alice = await core.user("alice-runs")
    const s = await launch(alice)
    const start = await agent.next("command")
    expect(start.action).toBe("session.start")
    expect(start.sessionId).toBe(s.id)
    expect(start.spec).toEqual({
      sessionId: s.id,
      userId: alice.user.id,
      username: "alice-runs",
      templateName: "xterm",
      image: "streamspace/desktop:latest",
      vncPort: 5901,
      resources: { cpu: 1, memory: 512 },
      env: { STREAMSPACE_APP: "xterm" },
      homePath: "/home/dev",
      allowOutbound: false,
    })
    expect(start.deadlineMs).toBeGreaterThan(0)
    expect(start.deadlineMs).toBeLessThanOrEqual(TIMEOUT_MS)
    expect((await sessionRow(s.id)).state).toBe("starting")
    answer(agent, start, "running")
    const running = await untilState(s.id, "running")
    expect(running.agentId).toBe(agent.id)
    const events = await core.db.sql`select type from outbox where payload->>'sessionId' = ${s.id} order by id`
    expect(events.map((e) => e.type)).toEqual(["session.created", "session.starting", "session.started"])
    expect((await commandsOf(s.id)).map((c) => [c.action, c.state, c.attempts])).toEqual([["session.start", "succeeded", 1]])
  })

  test("an agent that never acknowledges gets the same command again, then the session fails with a reason", async () => {
    const agent = await onlineAgent("deaf", { autoAck: false })
    const s = await launch(await core.user("bob-deaf"))
    const failed = await untilState(s.id, "failed")
    expect(failed.reason).toBe("The agent did not acknowledge session.start after 3 attempts.")
    const deliveries = agent.messages.filter((m): m is Command => m.type === "command" && m.action === "session.start")
    expect(deliveries.length).toBe(3)
    expect(new Set(deliveries.map((d) => d.commandId)).size).toBe(1)
    const [start] = await commandsOf(s.id)
    expect([start?.state, start?.attempts, start?.errorCode]).toEqual(["failed", 3, "AGENT_UNRESPONSIVE"])
    // A half-made workload may exist: the agent is asked to remove it.
    await eventually(async () => expect((await commandsOf(s.id))[1]?.action).toBe("session.stop"))
  })

  test("an agent that acknowledges but never finishes fails the session at the deadline, not left starting", async () => {
    const agent = await onlineAgent("slow")
    const s = await launch(await core.user("carol-slow"))
    await agent.next("command")
    const failed = await untilState(s.id, "failed", TIMEOUT_MS + 2_000)
    expect(failed.reason).toBe("The agent did not finish session.start within 1.5 s.")
    expect((await commandsOf(s.id))[0]?.errorCode).toBe("AGENT_TIMEOUT")
  })

  test("a retryable error is retried; a final error fails the session with the agent's message", async () => {
    const agent = await onlineAgent("flaky")
    const s = await launch(await core.user("dave-flaky"))
    const first = await agent.next("command")
    agent.send({ type: "command.error", commandId: first.commandId, code: "DOCKER_BUSY", message: "busy", retryable: true })
    const second = await agent.next("command")
    expect(second.commandId).toBe(first.commandId)
    agent.send({
      type: "command.error",
      commandId: first.commandId,
      code: "IMAGE_MISSING",
      message: "The image streamspace/desktop:latest is not on this host.",
      retryable: false,
    })
    const failed = await untilState(s.id, "failed")
    expect(failed.reason).toBe("The image streamspace/desktop:latest is not on this host.")
    expect((await commandsOf(s.id))[0]?.errorCode).toBe("IMAGE_MISSING")
  })

  test("a start issued twice for one session is one command (idempotent by session)", async () => {
    const agent = await onlineAgent("once")
    const s = await launch(await core.user("erin-once"))
    const start = await agent.next("command")
    core.deps.scheduler?.sessionCreated(s)
    await Bun.sleep(200)
    expect((await commandsOf(s.id)).length).toBe(1)
    answer(agent, start, "running")
    await untilState(s.id, "running")
  })

  test("a session waits pending while no agent is online, and starts when one connects", async () => {
    const s = await launch(await core.user("fay-waits"))
    await Bun.sleep(300)
    expect((await sessionRow(s.id)).state).toBe("pending")
    const agent = await onlineAgent("late")
    const start = await agent.next("command")
    answer(agent, start, "running")
    await untilState(s.id, "running")
  })

  test("with no agent at all the session fails after the deadline, saying so", async () => {
    const s = await launch(await core.user("gus-alone"))
    const failed = await untilState(s.id, "failed", TIMEOUT_MS + 2_000)
    expect(failed.reason).toBe("No agent was available to run this session within 1.5 s. Ask an operator to check the agents.")
  })

  test("placement goes to the agent with room: a full agent gets nothing", async () => {
    const full = await onlineAgent("full", { maxSessions: 0 })
    const roomy = await onlineAgent("roomy", { maxSessions: 2 })
    const s = await launch(await core.user("hal-room"))
    const start = await roomy.next("command")
    answer(roomy, start, "running")
    const running = await untilState(s.id, "running")
    expect(running.agentId).toBe(roomy.id)
    expect(full.count("command")).toBe(0)
  })

  test("hibernate and wake: owner or admin, only from the right state, carried out by the agent", async () => {
    const agent = await onlineAgent("sleeper")
    const [owner, stranger] = await core.users("ivy-sleep", "jon-stranger")
    const s = await launch(owner!)
    answer(agent, await agent.next("command"), "running")
    await untilState(s.id, "running")

    expect((await stranger!.fetch(`/api/v1/sessions/${s.id}/hibernate`, { method: "POST" })).status).toBe(404)
    expect((await owner!.fetch(`/api/v1/sessions/${s.id}/wake`, { method: "POST" })).status).toBe(409)
    const res = await owner!.fetch(`/api/v1/sessions/${s.id}/hibernate`, { method: "POST" })
    expect(res.status).toBe(202)
    expect((await res.json()).state).toBe("hibernating")
    const hibernate = await agent.next("command")
    expect(hibernate.action).toBe("session.hibernate")
    answer(agent, hibernate, "hibernated")
    await untilState(s.id, "hibernated")

    const admin = await core.admin()
    expect((await admin.fetch(`/api/v1/sessions/${s.id}/wake`, { method: "POST" })).status).toBe(202)
    const wake = await agent.next("command")
    expect(wake.action).toBe("session.wake")
    expect(wake.spec?.image).toBe("streamspace/desktop:latest")
    answer(agent, wake, "running")
    await untilState(s.id, "running")
  })

  test("DELETE of a running session sends session.stop and the session ends stopped", async () => {
    const agent = await onlineAgent("stopper")
    const owner = await core.user("kim-stop")
    const s = await launch(owner)
    answer(agent, await agent.next("command"), "running")
    await untilState(s.id, "running")
    const res = await owner.fetch(`/api/v1/sessions/${s.id}`, { method: "DELETE" })
    expect(res.status).toBe(202)
    expect((await res.json()).state).toBe("stopping")
    const stop = await agent.next("command")
    expect(stop.action).toBe("session.stop")
    answer(agent, stop, "stopped")
    await untilState(s.id, "stopped")
  })

  test("a stop during a start supersedes it; the start's late result changes nothing", async () => {
    const agent = await onlineAgent("superseded")
    const owner = await core.user("lea-cancel")
    const s = await launch(owner)
    const start = await agent.next("command")
    await owner.fetch(`/api/v1/sessions/${s.id}`, { method: "DELETE" })
    const stop = await agent.next("command")
    expect(stop.action).toBe("session.stop")
    answer(agent, start, "running")
    answer(agent, stop, "stopped")
    await untilState(s.id, "stopped")
    expect((await commandsOf(s.id)).map((c) => c.state)).toEqual(["cancelled", "succeeded"])
  })

  test("session.status from the agent fails a running session; heartbeats recover a lost result", async () => {
    const agent = await onlineAgent("reporter")
    const user = await core.user("max-report")
    const lost = await launch(user)
    const start = await agent.next("command")
    // The result never arrives, but the next heartbeat lists the session running.
    await eventually(async () => expect((await commandsOf(lost.id))[0]?.state).toBe("acked"))
    await core.db.sql`update agent_commands set state = 'succeeded' where id = ${start.commandId}`
    agent.sessions = [{ sessionId: lost.id, state: "running" }]
    await untilState(lost.id, "running")

    agent.send({ type: "session.status", sessionId: lost.id, state: "failed", reason: "The container exited with code 137." })
    const failed = await untilState(lost.id, "failed")
    expect(failed.reason).toBe("The container exited with code 137.")
  })

  test("a reconnecting agent is welcomed with its sessions and gets its open commands again", async () => {
    const agent = await onlineAgent("reconnects")
    const s = await launch(await core.user("ned-again"))
    const start = await agent.next("command")
    await agent.close()
    const again = await FakeAgent.connect(core.url as string, agent.token, { autoAck: true, autoHeartbeat: true })
    agents.push(again)
    const welcome = await again.sayHello()
    expect(welcome.sessions).toEqual([{ sessionId: s.id, state: "starting" }])
    const resent = await again.next("command")
    expect(resent.commandId).toBe(start.commandId)
    answer(again, resent, "running")
    await untilState(s.id, "running")
  })
})
