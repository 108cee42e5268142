import { afterEach, describe, expect, test } from "bun:test"
import type { Command, SessionSpec } from "@streamspace/schemas"
import pino from "pino"
import { AgentRuntime } from "./agent-runtime.ts"
import { FakeControlPlane } from "./fake-control-plane.ts"
import { FakeDriverError, FakeSessionDriver } from "./fake-session-driver.ts"

const TOKEN = "ssa_test-token"
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" })
const cleanup: (() => void)[] = []
afterEach(() => {
  for (const c of cleanup.splice(0)) c()
})

function setup() {
  const cp = new FakeControlPlane(TOKEN)
  const driver = new FakeSessionDriver()
  const agent = new AgentRuntime({
    urls: [cp.url],
    token: TOKEN,
    instanceId: "host-a",
    version: "9.9.9",
    driver,
    log,
    backoff: { initialMs: 100, maxMs: 400 },
  })
  cleanup.push(
    () => agent.stop(),
    () => cp.stop(),
  )
  return { cp, driver, agent }
}

const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`
const spec = (sessionId: string): SessionSpec => ({
  sessionId,
  userId: id(999),
  username: "alice",
  templateName: "desktop",
  image: "streamspace/desktop:latest",
  vncPort: 5900,
  resources: { cpu: 1, memory: 512 },
  env: {},
  homePath: "/home/user",
  allowOutbound: false,
})
const command = (action: Command["action"], sessionId: string, commandId = crypto.randomUUID()): Command => ({
  type: "command",
  commandId,
  action,
  sessionId,
  deadlineMs: 5_000,
  ...(action === "session.start" || action === "session.wake" ? { spec: spec(sessionId) } : {}),
})

describe("agent runtime (fake control plane, fake driver)", () => {
  test("says hello with its platform and capacity, then heartbeats list its sessions at the welcome's interval", async () => {
    const { cp, driver, agent } = setup()
    driver.sessions.set(id(1), "running")
    cp.sessions = [{ sessionId: id(1), state: "running" }]
    agent.start()
    expect(await agent.whenOnline()).toBe("online")
    expect(await cp.next("hello")).toEqual({
      type: "hello",
      protocol: 1,
      instanceId: "host-a",
      platform: "docker",
      cluster: "default",
      version: "9.9.9",
      capacity: { maxSessions: 5, runningSessions: 1 },
      leader: true,
    })
    const first = await cp.next("heartbeat")
    const t0 = Date.now()
    await cp.next("heartbeat")
    expect(Date.now() - t0).toBeLessThan(400)
    expect(first.sessions).toEqual([{ sessionId: id(1), state: "running" }])
    expect(first.capacity).toEqual({ maxSessions: 5, runningSessions: 1 })
  })

  test("a command is acknowledged, carried out and answered; sent again it is answered, not redone", async () => {
    const { cp, driver, agent } = setup()
    agent.start()
    await agent.whenOnline()
    const start = command("session.start", id(2))
    cp.send(start)
    expect(await cp.next("command.ack")).toEqual({ type: "command.ack", commandId: start.commandId })
    expect(await cp.next("command.result")).toEqual({
      type: "command.result",
      commandId: start.commandId,
      result: { sessionId: id(2), state: "running" },
    })
    cp.send(start)
    await cp.next("command.ack")
    expect((await cp.next("command.result")).commandId).toBe(start.commandId)
    expect(driver.calls.filter((c) => c.startsWith("start"))).toEqual([`start ${id(2)}`])
  })

  test("commands for one session run in order; a driver error is answered with its code and whether to retry", async () => {
    const { cp, driver, agent } = setup()
    driver.delayMs = 50
    driver.failNext("hibernate", new FakeDriverError("DOCKER_UNAVAILABLE", "The Docker engine did not answer.", true))
    agent.start()
    await agent.whenOnline()
    const [start, hibernate, stop] = [
      command("session.start", id(3)),
      command("session.hibernate", id(3)),
      command("session.stop", id(3)),
    ]
    for (const c of [start, hibernate, stop]) cp.send(c)
    expect(await cp.next("command.error")).toEqual({
      type: "command.error",
      commandId: hibernate.commandId,
      code: "DOCKER_UNAVAILABLE",
      message: "The Docker engine did not answer.",
      retryable: true,
    })
    await cp.next("command.result", (m) => m.commandId === stop.commandId)
    expect(driver.calls).toEqual(["reconcile ", `start ${id(3)}`, `hibernate ${id(3)}`, `stop ${id(3)}`])
    cp.send({ ...command("session.wake", id(4)), spec: undefined })
    expect((await cp.next("command.error")).code).toBe("BAD_COMMAND")
  })

  test("on connect it reconciles with the core's record: live sessions adopted, vanished ones reported", async () => {
    const { cp, driver, agent } = setup()
    driver.sessions.set(id(5), "running")
    driver.sessions.set(id(6), "running")
    driver.sessions.set(id(7), "hibernated")
    cp.sessions = [
      { sessionId: id(5), state: "running" },
      { sessionId: id(7), state: "running" },
      { sessionId: id(8), state: "running" },
    ]
    agent.start()
    await agent.whenOnline()
    const hibernated = await cp.next("session.status", (m) => m.sessionId === id(7))
    expect(hibernated.state).toBe("hibernated")
    const vanished = await cp.next("session.status", (m) => m.sessionId === id(8))
    expect(vanished).toEqual({ type: "session.status", sessionId: id(8), state: "failed", reason: "Its container is gone." })
    // id(6) belongs to no known session: removed; id(5) matched the record: nothing to say.
    expect(driver.sessions.has(id(6))).toBe(false)
    expect(cp.messages.some((m) => m.type === "session.status" && m.sessionId === id(5))).toBe(false)
  })

  test("a session that disappears between heartbeats is reported failed", async () => {
    const { cp, driver, agent } = setup()
    driver.sessions.set(id(9), "running")
    cp.sessions = [{ sessionId: id(9), state: "running" }]
    agent.start()
    await agent.whenOnline()
    await cp.next("heartbeat")
    driver.sessions.delete(id(9))
    const report = await cp.next("session.status", (m) => m.sessionId === id(9))
    expect(report.state).toBe("failed")
    expect(report.reason).toBe("The session's workload disappeared from this host.")
  })

  test("it tries every URL: a dead one first, then the live one, within a few hundred milliseconds", async () => {
    const dead = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } })
    const deadUrl = `http://127.0.0.1:${dead.port}`
    dead.stop(true)
    const live = new FakeControlPlane(TOKEN)
    cleanup.push(() => live.stop())
    const withLive = new AgentRuntime({
      urls: [deadUrl, live.url],
      token: TOKEN,
      instanceId: "host-b",
      version: "1",
      driver: new FakeSessionDriver(),
      log,
    })
    cleanup.push(() => withLive.stop())
    const t0 = performance.now()
    withLive.start()
    expect(await withLive.whenOnline()).toBe("online")
    expect(performance.now() - t0).toBeLessThan(1_000)
    expect(live.connections).toBe(1)
  })

  test("when the control plane goes away it reconnects, says hello again and reconciles again", async () => {
    const { cp, driver, agent } = setup()
    agent.start()
    await agent.whenOnline()
    const port = cp.port
    cp.stop()
    await Bun.sleep(300)
    expect(agent.status).toBe("connecting")
    const back = new FakeControlPlane(TOKEN, port)
    cleanup.push(() => back.stop())
    const t0 = performance.now()
    await back.next("hello")
    expect(performance.now() - t0).toBeLessThan(1_000)
    expect(await agent.whenOnline()).toBe("online")
    expect(driver.calls.filter((c) => c.startsWith("reconcile")).length).toBe(2)
  })

  test("a refused token stops the agent from retrying, with the reason", async () => {
    const cp = new FakeControlPlane("ssa_another-token")
    cleanup.push(() => cp.stop())
    const agent = new AgentRuntime({
      urls: [cp.url],
      token: TOKEN,
      instanceId: "x",
      version: "1",
      driver: new FakeSessionDriver(),
      log,
    })
    cleanup.push(() => agent.stop())
    agent.start()
    expect(await agent.whenOnline()).toBe("refused")
    expect(await agent.done).toBe("refused")
    expect(agent.refusal).toBe(`${cp.url} refused this agent's token (401)`)
    await Bun.sleep(300)
    expect(cp.connections).toBe(0)
  })

  test("a revoked token closes the connection for good", async () => {
    const { cp, agent } = setup()
    agent.start()
    await agent.whenOnline()
    cp.drop(4003, "token revoked")
    await Bun.sleep(300)
    expect(agent.status).toBe("refused")
    expect(agent.refusal).toBe("the control plane closed the connection: token revoked")
    expect(cp.connections).toBe(1)
  })
})
