import { afterAll, afterEach, describe, expect, test } from "bun:test"
import { decodeFrame, encodeCredit, encodeFrame, FrameKind, type StreamFrame } from "@streamspace/schemas"
import pino from "pino"
import { AgentRuntime } from "./agent-runtime.ts"
import { FakeControlPlane } from "./fake-control-plane.ts"
import { FakeSessionDriver } from "./fake-session-driver.ts"
import type { StreamConnector, StreamPeer } from "./stream-endpoint.ts"
import { startTestDesktop, type TestDesktop } from "./vnc/test-desktop.ts"

const TOKEN = "ssa_stream-token"
const SESSION = "00000000-0000-4000-8000-00000000abcd"
const log = pino({ level: "silent" })
const text = (b: Uint8Array) => new TextDecoder().decode(b)
const bytes = (s: string) => new TextEncoder().encode(s)
const cleanup: (() => unknown)[] = []
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c()
})

async function online(connector?: StreamConnector, driver = new FakeSessionDriver()) {
  const cp = new FakeControlPlane(TOKEN)
  cp.sessions = [...driver.sessions].map(([sessionId, state]) => ({ sessionId, state }))
  const agent = new AgentRuntime({
    urls: [cp.url],
    token: TOKEN,
    instanceId: "s",
    version: "1",
    driver,
    log,
    ...(connector ? { connector } : {}),
  })
  cleanup.push(
    () => agent.stop(),
    () => cp.stop(),
  )
  agent.start()
  await agent.whenOnline()
  const frames = (streamId: number) => cp.binary.map((b) => decodeFrame(b) as StreamFrame).filter((f) => f.streamId === streamId)
  const until = async (check: () => boolean) => {
    for (let i = 0; i < 200 && !check(); i++) await Bun.sleep(10)
    expect(check()).toBe(true)
  }
  return { cp, agent, frames, until }
}

/** A fake byte peer: echoes what the core sends, and records whether the agent paused it. */
function echoPeer() {
  const log: string[] = []
  const connector: StreamConnector = async (_sessionId, port, consumed) => {
    const peer: StreamPeer = {
      write: (b) => {
        port.send(b.slice())
        consumed(b.byteLength)
      },
      pause: () => log.push("pause"),
      resume: () => log.push("resume"),
      close: () => log.push("close"),
    }
    port.send(bytes("hi!"))
    return peer
  }
  return { connector, log }
}

describe("stream endpoint (fake control plane)", () => {
  test("stream.open connects a peer; bytes go both ways and never beyond the core's credit (fake byte peer)", async () => {
    const echo = echoPeer()
    const { cp, agent, frames, until } = await online(echo.connector)
    cp.send({ type: "stream.open", streamId: 5, sessionId: SESSION, credit: 8 })
    const opened = await cp.next("stream.opened")
    expect(opened.streamId).toBe(5)
    expect(opened.credit).toBeGreaterThan(0)
    // The peer's greeting, sent while connecting, follows stream.opened.
    await until(() => frames(5).length === 1)
    expect(text(frames(5)[0]!.payload)).toBe("hi!")

    cp.send(encodeFrame(FrameKind.data, 5, bytes("0123456789")))
    await until(() => frames(5).length === 2)
    expect(text(frames(5)[1]!.payload)).toBe("01234")
    expect(echo.log).toEqual(["pause"])
    cp.send(encodeCredit(5, 100))
    await until(() => frames(5).length === 3)
    expect(text(frames(5)[2]!.payload)).toBe("56789")
    expect(echo.log).toEqual(["pause", "resume"])

    cp.send({ type: "stream.close", streamId: 5 })
    await until(() => echo.log.includes("close"))
    expect(agent.streams.size).toBe(0)
  })

  test("several chunks a peer sends while connecting arrive intact and in order after stream.opened (fake byte peer)", async () => {
    // Frames are built in a buffer the flow reuses: the ones held back until stream.opened must be copies.
    const chunks = ["first chunk", "second", "third and last"]
    const { cp, frames, until } = await online(async (_sessionId, port) => {
      for (const c of chunks) port.send(bytes(c))
      await Bun.sleep(20)
      return { write: () => {}, pause: () => {}, resume: () => {}, close: () => {} }
    })
    cp.send({ type: "stream.open", streamId: 6, sessionId: SESSION, credit: 1000 })
    await cp.next("stream.opened")
    await until(() => frames(6).length === chunks.length)
    expect(frames(6).map((f) => text(f.payload))).toEqual(chunks)
  })

  test("a stream the connector cannot make is closed with its reason; a dropped connection ends every stream", async () => {
    const echo = echoPeer()
    const { cp } = await online(async (sessionId, port, consumed) => {
      if (sessionId !== SESSION) throw new Error("The session is not running on this agent.")
      return echo.connector(sessionId, port, consumed)
    })
    cp.send({ type: "stream.open", streamId: 1, sessionId: "00000000-0000-4000-8000-000000000000", credit: 100 })
    expect(await cp.next("stream.close")).toEqual({
      type: "stream.close",
      streamId: 1,
      reason: "The session is not running on this agent.",
    })
    cp.send({ type: "stream.open", streamId: 2, sessionId: SESSION, credit: 100 })
    await cp.next("stream.opened")
    cp.drop()
    for (let i = 0; i < 100 && !echo.log.includes("close"); i++) await Bun.sleep(10)
    expect(echo.log).toContain("close")
  })
})

describe("stream endpoint to a real desktop (Docker)", () => {
  let desktop: TestDesktop
  afterAll(() => desktop?.stop())

  test("the default connector puts the RFB security proxy in front: the viewer is let in with None, the VNC password never leaves", async () => {
    desktop = await startTestDesktop()
    const driver = new FakeSessionDriver()
    driver.sessions.set(SESSION, "running")
    driver.vnc = { host: desktop.host, port: desktop.port, password: desktop.password }
    const { cp, frames, until } = await online(undefined, driver)
    cp.send({ type: "stream.open", streamId: 9, sessionId: SESSION, credit: 1 << 20 })
    await cp.next("stream.opened")
    await until(() => frames(9).length >= 1)
    expect(text(frames(9)[0]!.payload)).toBe("RFB 003.008\n")
    cp.send(encodeFrame(FrameKind.data, 9, bytes("RFB 003.008\n")))
    await until(() => frames(9).length >= 2)
    expect([...frames(9)[1]!.payload]).toEqual([1, 1]) // one security type: None
    cp.send(encodeFrame(FrameKind.data, 9, Uint8Array.of(1)))
    await until(() => frames(9).length >= 3)
    expect([...frames(9)[2]!.payload]).toEqual([0, 0, 0, 0]) // SecurityResult OK: the proxy authenticated upstream
    const seen = Buffer.concat(cp.binary).toString("latin1")
    expect(seen.includes(desktop.password)).toBe(false)
  })
})
