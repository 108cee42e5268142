// The Docker driver's session lifecycle on the real engine with the real desktop image.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { DockerSessionDriver } from "./docker-session-driver.ts"
import { DriverError } from "./errors.ts"
import { containerOf, desktopImage, docker, execIn, sessionSpec, testDriver, vncHandshake } from "./test-support.ts"

const { driver, options, cleanup } = testDriver()
let image = ""

beforeAll(async () => {
  image = await desktopImage()
}, 600_000)
afterAll(cleanup, 60_000)

describe("one session from start to stop", () => {
  const spec = () => sessionSpec(image, { sessionId: first.sessionId, userId: first.userId })
  const first = sessionSpec("", { resources: { cpu: 0.5, memory: 300 } })

  test("a started session answers VNC at its target and demands its own password", async () => {
    expect(await driver.start({ ...spec(), resources: first.resources })).toEqual({
      sessionId: first.sessionId,
      state: "running",
    })
    const target = await driver.vncTarget(first.sessionId)
    if (!target) throw new Error("a running session has a VNC target")
    expect(target.port).toBe(5900)
    expect(target.host).toMatch(/^\d+\.\d+\.\d+\.\d+$/)

    const good = await vncHandshake(target.host, target.port, target.password)
    expect(good.banner).toMatch(/^RFB 003\.00\d\n$/)
    expect(good.securityTypes).toContain(2)
    expect(good.securityTypes).not.toContain(1)
    expect(good.authResult).toBe(0)
    const wrong = await vncHandshake(target.host, target.port, "guessed!")
    expect(wrong.authResult).not.toBe(0)
  }, 30_000)

  test("starting it again adopts the running container instead of making a second one", async () => {
    const before = await docker.getContainer(containerOf(options, first.sessionId)).inspect()
    const again = await Promise.all([driver.start(spec()), driver.start(spec())])
    expect(again.map((r) => r.state)).toEqual(["running", "running"])
    const labelled = await docker.listContainers({ all: true, filters: { label: [`streamspace.session=${first.sessionId}`] } })
    expect(labelled.map((c) => c.Id)).toEqual([before.Id])
  })

  test("the desktop runs jwm and an xterm as uid 1000, and none of them holds the VNC password", async () => {
    const name = containerOf(options, first.sessionId)
    const ps = execIn(name, "ps -eo uid=,comm=")
    expect(ps.stdout).toMatch(/1000 jwm/)
    expect(ps.stdout).toMatch(/1000 xterm/)
    expect(ps.stdout).toMatch(/1000 Xvnc/)
    expect(ps.stdout).not.toMatch(/^\s*0 /m)
    const environ = execIn(
      name,
      "for p in $(pgrep -x xterm) $(pgrep -x jwm) $(pgrep -x Xvnc); do tr '\\0' '\\n' < /proc/$p/environ; done",
    )
    expect(environ.stdout).toContain("DISPLAY=:0")
    expect(environ.stdout).not.toContain("VNC_PASSWORD")
  })

  test("the container carries the limits, labels, dropped capabilities and the isolated network", async () => {
    const info = await docker.getContainer(containerOf(options, first.sessionId)).inspect()
    expect(info.HostConfig.NanoCpus).toBe(500_000_000)
    expect(info.HostConfig.Memory).toBe(300 * 1024 * 1024)
    expect(info.HostConfig.MemorySwap).toBe(300 * 1024 * 1024)
    expect(info.HostConfig.PidsLimit).toBe(512)
    expect(info.HostConfig.CapDrop).toEqual(["ALL"])
    expect(info.HostConfig.CapAdd ?? []).toEqual([])
    expect(info.HostConfig.SecurityOpt).toEqual(["no-new-privileges"])
    expect(info.Config.Labels).toMatchObject({
      "streamspace.session": first.sessionId,
      "streamspace.user": first.userId,
      "streamspace.template": "desktop",
      "streamspace.managed": "true",
    })
    expect(info.Mounts).toMatchObject([
      { Type: "volume", Name: `streamspace-home-${first.userId}-desktop`, Destination: "/home/user" },
    ])
    const network = await docker.getNetwork(`${options.network}`).inspect()
    expect(network.Internal).toBe(true)
    expect(network.Options?.["com.docker.network.bridge.enable_icc"]).toBe("false")
  })

  test("hibernate stops the container but keeps it; wake brings VNC back with the same password", async () => {
    const password = (await driver.vncTarget(first.sessionId))?.password
    expect(await driver.hibernate(first.sessionId)).toEqual({ sessionId: first.sessionId, state: "hibernated" })
    expect(await driver.status(first.sessionId)).toEqual({ sessionId: first.sessionId, state: "hibernated" })
    expect(await driver.vncTarget(first.sessionId)).toBeNull()
    expect((await driver.capacity()).runningSessions).toBe(0)

    expect(await driver.wake(spec())).toEqual({ sessionId: first.sessionId, state: "running" })
    const target = await driver.vncTarget(first.sessionId)
    expect(target?.password).toBe(password ?? "")
    expect((await vncHandshake(target?.host ?? "", target?.port ?? 0, target?.password ?? "")).authResult).toBe(0)
    expect(await driver.capacity()).toEqual({ maxSessions: 10, runningSessions: 1 })
  }, 30_000)

  test("stop removes the container, keeps the home, and the user's next session finds the file", async () => {
    expect(execIn(containerOf(options, first.sessionId), "echo kept > ~/note.txt").exitCode).toBe(0)
    expect(await driver.stop(first.sessionId)).toEqual({ sessionId: first.sessionId, state: "stopped" })
    expect(await driver.status(first.sessionId)).toBeNull()
    expect(await driver.stop(first.sessionId)).toEqual({ sessionId: first.sessionId, state: "stopped" })

    const next = sessionSpec(image, { userId: first.userId })
    await driver.start(next)
    expect(execIn(containerOf(options, next.sessionId), "cat ~/note.txt").stdout).toBe("kept")
    await driver.stop(next.sessionId)
    const volumes = await docker.listVolumes({ filters: { name: [`streamspace-home-${first.userId}-desktop`] } })
    expect(volumes.Volumes).toHaveLength(1)
  }, 30_000)
})

describe("errors a caller can act on", () => {
  test("an image that is nowhere gives IMAGE_NOT_FOUND naming it, and leaves nothing behind", async () => {
    const spec = sessionSpec("streamspace/no-such-image:1")
    const failure = await driver.start(spec).catch((err: unknown) => err)
    expect(failure).toBeInstanceOf(DriverError)
    expect(failure).toMatchObject({ code: "IMAGE_NOT_FOUND", retryable: false })
    expect(String(failure)).toContain("streamspace/no-such-image:1")
    expect(await driver.status(spec.sessionId)).toBeNull()
  })

  test("a malformed spec is refused with the field named, before Docker is asked", async () => {
    const bad = { ...sessionSpec(image), resources: { cpu: 1, memory: 1 } }
    await expect(driver.start(bad)).rejects.toThrow(/\/resources\/memory/)
    await expect(driver.start({ ...sessionSpec(image), templateName: "../etc" })).rejects.toThrow(/\/templateName/)
    await expect(driver.stop("not-a-uuid")).rejects.toMatchObject({ code: "INVALID_SESSION_ID" })
    expect(await driver.list()).toEqual([])
  })

  test("options that cannot work stop the agent at construction, naming the option", () => {
    expect(() => new DockerSessionDriver({ agentSecret: "short", maxSessions: 1 })).toThrow(/agentSecret/)
    expect(() => new DockerSessionDriver({ ...options, maxSessions: -1 })).toThrow(/maxSessions/)
    expect(() => new DockerSessionDriver({ ...options, agentName: "Bad Name" })).toThrow(/agentName/)
  })

  test("a container that dies while starting is reported with its last words", async () => {
    // Xvnc refuses a geometry it cannot parse and exits.
    const spec = sessionSpec(image, { env: { VNC_GEOMETRY: "not-a-geometry" } })
    const failure = await driver.start(spec).catch((err: unknown) => err)
    expect(failure).toMatchObject({ code: "SESSION_EXITED" })
    expect(String(failure)).toMatch(/exited with code \d+/)
    expect(await driver.status(spec.sessionId)).toMatchObject({ state: "failed" })
    await driver.stop(spec.sessionId)
  }, 30_000)

  test("hibernating a session that has no container says so", async () => {
    await expect(driver.hibernate(sessionSpec(image).sessionId)).rejects.toMatchObject({ code: "SESSION_NOT_FOUND" })
  })
})
