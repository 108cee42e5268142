import { afterEach, describe, expect, test } from "bun:test"
import type { Command } from "@streamspace/schemas"
import pino from "pino"
import { AgentRuntime } from "../agent-runtime.ts"
import { FakeControlPlane } from "../fake-control-plane.ts"
import { FakeSessionDriver } from "../fake-session-driver.ts"
import { LeaseElector } from "./lease-elector.ts"
import { MemoryLeaseStore } from "./memory-lease.ts"
import { TestClock } from "./test-clock.ts"

const TOKEN = "ssa_test-token"
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" })
const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c()
})

const SESSION = "00000000-0000-4000-8000-000000000007"
const stop = (): Command => ({
  type: "command",
  commandId: crypto.randomUUID(),
  action: "session.stop",
  sessionId: SESSION,
  deadlineMs: 5_000,
})

/** One agent replica whose lease lives in a store the test controls, on a clock the test moves. */
function setup() {
  const cp = new FakeControlPlane(TOKEN)
  const driver = new FakeSessionDriver()
  const clock = new TestClock()
  const store = new MemoryLeaseStore(clock)
  // Someone else leads at first.
  store.holder = "other"
  store.token = 4
  store.expiresAt = 3_000
  const elector = new LeaseElector({ backend: store.backend(), holder: "me", log, clock })
  const agent = new AgentRuntime({ urls: [cp.url], token: TOKEN, instanceId: "b", version: "1", driver, log, elector })
  cleanup.push(
    () => agent.stop(),
    () => cp.stop(),
  )
  return { cp, driver, clock, store, agent }
}

describe("agent runtime with leader election (fake control plane, in-memory lease store)", () => {
  test("a follower says so, refuses commands and streams, and neither acts nor reports sessions", async () => {
    const { cp, driver, agent } = setup()
    driver.sessions.set(SESSION, "running")
    agent.start()
    await agent.whenOnline()
    expect((await cp.next("hello")).leader).toBe(false)
    const c = stop()
    cp.send(c)
    expect(await cp.next("command.error")).toMatchObject({ commandId: c.commandId, code: "NOT_LEADER", retryable: true })
    cp.send({ type: "stream.open", streamId: 9, sessionId: SESSION, credit: 65_536 })
    expect(await cp.next("stream.close")).toMatchObject({ streamId: 9, reason: "this agent replica does not lead" })
    const beat = await cp.next("heartbeat")
    expect(beat).toMatchObject({ leader: false, sessions: [] })
    expect(beat.fencingToken).toBeUndefined()
    expect(driver.calls.filter((x) => !x.startsWith("capacity"))).toEqual([])
    expect(driver.sessions.get(SESSION)).toBe("running")
  })

  test("elected: it says leader.changed with its term, reconciles on the core's fresh welcome, then runs commands", async () => {
    const { cp, driver, clock, agent } = setup()
    driver.sessions.set(SESSION, "running")
    agent.start()
    await agent.whenOnline()
    await clock.advance(3_000)
    expect(await cp.next("leader.changed")).toEqual({ type: "leader.changed", leader: true, fencingToken: 5 })
    cp.sessions = [{ sessionId: SESSION, state: "running" }]
    const reconciles = driver.calls.filter((x) => x.startsWith("reconcile")).length
    cp.send({ type: "welcome", agentId: "00000000-0000-4000-8000-000000000001", heartbeatIntervalMs: 100, sessions: cp.sessions })
    expect((await cp.next("heartbeat", (h) => h.leader)).fencingToken).toBe(5)
    expect(driver.calls.filter((x) => x.startsWith("reconcile")).length).toBe(reconciles + 1)
    const c = stop()
    cp.send(c)
    expect(await cp.next("command.result")).toMatchObject({ commandId: c.commandId, result: { state: "stopped" } })
    expect(driver.sessions.has(SESSION)).toBe(false)
  })

  test("deposed: it says so at once, ends its streams and refuses the next command", async () => {
    const { cp, driver, clock, store, agent } = setup()
    store.expiresAt = 0
    agent.start()
    await clock.advance(0)
    await agent.whenOnline()
    // Elected before or after the hello went out: either way the core hears the term.
    expect(await cp.next("heartbeat", (h) => h.leader)).toMatchObject({ leader: true, fencingToken: 5 })
    // Another replica takes the lease (as after this one was paused): the next renewal finds out.
    store.holder = "other"
    store.token = 6
    await clock.advance(1_000)
    expect(await cp.next("leader.changed", (m) => !m.leader)).toEqual({ type: "leader.changed", leader: false })
    expect(agent.leader).toBe(false)
    driver.sessions.set(SESSION, "running")
    const c = stop()
    cp.send(c)
    expect((await cp.next("command.error")).code).toBe("NOT_LEADER")
    expect(driver.sessions.get(SESSION)).toBe("running")
  })
})

test("a leader cut off from every control plane gives its lease up for a replica that can reach one (fake control plane)", async () => {
  const cp = new FakeControlPlane(TOKEN)
  const clock = new TestClock()
  const store = new MemoryLeaseStore(clock)
  const elector = new LeaseElector({ backend: store.backend(), holder: "cut-off", log, clock })
  const agent = new AgentRuntime({
    urls: [cp.url],
    token: TOKEN,
    instanceId: "a",
    version: "1",
    driver: new FakeSessionDriver(),
    log,
    elector,
    leaderCutOffMs: 200,
    backoff: { initialMs: 50, maxMs: 100 },
  })
  cleanup.push(() => agent.stop())
  agent.start()
  await clock.advance(0)
  await agent.whenOnline()
  expect(store.holder).toBe("cut-off")
  cp.stop()
  const deadline = Date.now() + 10_000
  while (store.holder !== null) {
    if (Date.now() > deadline) throw new Error("the cut-off leader kept its lease")
    await clock.advance(100)
    await Bun.sleep(50)
  }
  expect(agent.leader).toBe(false)
  // Another replica takes it during the hold-off; the cut-off one does not take it back.
  const other = new LeaseElector({ backend: store.backend(), holder: "connected", log, clock })
  cleanup.push(() => other.stop())
  other.start()
  await clock.advance(0)
  expect(other.isLeader).toBe(true)
  await clock.advance(5_000)
  expect(store.holder as string | null).toBe("connected")
})
