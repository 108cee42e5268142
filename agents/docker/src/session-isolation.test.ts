// Sessions cannot reach each other, and reconcile brings Docker in line with what the control plane knows.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { randomUUID } from "node:crypto"
import { DockerSessionDriver } from "./docker-session-driver.ts"
import { containerOf, desktopImage, docker, execIn, sessionSpec, testDriver, vncHandshake } from "./test-support.ts"
import type { SessionSpec } from "@streamspace/schemas"

const { driver, options, cleanup } = testDriver()
let alice: SessionSpec
let bob: SessionSpec
let carol: SessionSpec

beforeAll(async () => {
  const image = await desktopImage()
  alice = sessionSpec(image)
  bob = sessionSpec(image)
  carol = sessionSpec(image, { templateName: "browser", allowOutbound: true })
  // allSettled: a failed start must not let cleanup run while the others still create containers.
  const started = await Promise.allSettled([driver.start(alice), driver.start(bob), driver.start(carol)])
  for (const s of started) if (s.status === "rejected") throw s.reason
}, 600_000)
afterAll(cleanup, 60_000)

/** Whether a process inside `from` can open a TCP connection to host:port (2 s to try). */
async function canConnect(from: SessionSpec, host: string, port: number): Promise<boolean> {
  const probe = `timeout 2 bash -c 'exec 3<>/dev/tcp/${host}/${port}'`
  const child = Bun.spawn(["docker", "exec", containerOf(options, from.sessionId), "bash", "-c", probe])
  return (await child.exited) === 0
}

describe("isolation between sessions", () => {
  test("a process in one session cannot open another session's VNC port", async () => {
    const bobsVnc = await driver.vncTarget(bob.sessionId)
    if (!bobsVnc) throw new Error("bob's session runs")
    // The probe itself works: a session reaches its own VNC server.
    const [own, fromAlice, fromCarol] = await Promise.all([
      canConnect(alice, "127.0.0.1", 5900),
      canConnect(alice, bobsVnc.host, bobsVnc.port),
      // Nor from a session on the outbound network.
      canConnect(carol, bobsVnc.host, bobsVnc.port),
    ])
    expect(own).toBe(true)
    expect(fromAlice).toBe(false)
    expect(fromCarol).toBe(false)
    // The agent (on the host) still reaches it.
    expect((await vncHandshake(bobsVnc.host, bobsVnc.port, bobsVnc.password)).authResult).toBe(0)
  }, 30_000)

  test("each session has its own password; one session's does not open another", async () => {
    const [a, b] = await Promise.all([driver.vncTarget(alice.sessionId), driver.vncTarget(bob.sessionId)])
    expect(a?.password).not.toBe(b?.password)
    expect((await vncHandshake(b?.host ?? "", b?.port ?? 0, a?.password ?? "")).authResult).not.toBe(0)
  })

  test("a session allowed outbound sits on a non-internal network that still blocks session-to-session traffic", async () => {
    const info = await docker.getContainer(containerOf(options, carol.sessionId)).inspect()
    expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`${options.network}-outbound`])
    const network = await docker.getNetwork(`${options.network}-outbound`).inspect()
    expect(network.Internal).toBe(false)
    expect(network.Options?.["com.docker.network.bridge.enable_icc"]).toBe("false")
  })

  test("a hand-made network that lets sessions talk is refused, not used", async () => {
    const name = `${options.network}-open`
    await docker.createNetwork({ Name: name, Internal: true, Labels: { "streamspace.agent": `${options.agentName}` } })
    try {
      const loose = new DockerSessionDriver({ ...options, network: name })
      const spec = sessionSpec(alice.image)
      await expect(loose.start(spec)).rejects.toMatchObject({ code: "NETWORK_MISCONFIGURED" })
      expect(await loose.status(spec.sessionId)).toBeNull()
    } finally {
      await docker.getNetwork(name).remove()
    }
  })
})

describe("reconcile after an agent restart", () => {
  test("a new agent with the same secret adopts live sessions, reports vanished ones and removes orphans", async () => {
    const restarted = new DockerSessionDriver(options)
    const vanished = randomUUID()
    const reports = await restarted.reconcile([alice.sessionId, bob.sessionId, vanished])
    const byId = new Map(reports.map((r) => [r.sessionId, r]))
    expect(byId.get(alice.sessionId)).toEqual({ sessionId: alice.sessionId, state: "running" })
    expect(byId.get(bob.sessionId)).toEqual({ sessionId: bob.sessionId, state: "running" })
    expect(byId.get(vanished)).toMatchObject({ state: "failed", reason: expect.stringContaining("vanished") })
    expect(byId.get(carol.sessionId)).toMatchObject({ state: "stopped" })

    await expect(docker.getContainer(containerOf(options, carol.sessionId)).inspect()).rejects.toMatchObject({ statusCode: 404 })
    expect((await restarted.list()).map((r) => r.sessionId).sort()).toEqual([alice.sessionId, bob.sessionId].sort())

    // The adopted session still opens with the password the new agent derives.
    const target = await restarted.vncTarget(alice.sessionId)
    expect((await vncHandshake(target?.host ?? "", target?.port ?? 0, target?.password ?? "")).authResult).toBe(0)
  }, 30_000)

  test("a hibernated session is adopted as hibernated, a crashed one as failed", async () => {
    await driver.hibernate(alice.sessionId)
    execIn(containerOf(options, bob.sessionId), "kill -KILL $(pgrep -x Xvnc)")
    await docker.getContainer(containerOf(options, bob.sessionId)).wait()
    const reports = await driver.reconcile([alice.sessionId, bob.sessionId])
    const byId = new Map(reports.map((r) => [r.sessionId, r]))
    expect(byId.get(alice.sessionId)?.state).toBe("hibernated")
    expect(byId.get(bob.sessionId)).toMatchObject({ state: "failed", reason: expect.stringContaining("exited with code") })
    expect((await driver.capacity()).runningSessions).toBe(0)
  }, 30_000)

  test("a session of another agent on the same host is neither listed nor removed", async () => {
    const other = testDriver()
    try {
      const spec = sessionSpec(alice.image)
      await other.driver.start(spec)
      await driver.reconcile([])
      expect(await other.driver.status(spec.sessionId)).toMatchObject({ state: "running" })
      expect(await driver.list()).toEqual([])
    } finally {
      await other.cleanup()
    }
  }, 30_000)
})
