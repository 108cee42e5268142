import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { Socket, TCPSocketListener } from "bun"
import type { VncTarget } from "../session-driver.ts"
import { RfbClient } from "./rfb-client.ts"
import type { RfbError } from "./rfb-error.ts"
import { startTestDesktop, type TestDesktop } from "./test-desktop.ts"
import { VncProxy } from "./vnc-proxy.ts"

/** A TCP listener that puts a VncProxy in front of `target` for every viewer that connects. */
function proxyListener(target: () => VncTarget) {
  const ended: (RfbError | null)[] = []
  const proxies: VncProxy[] = []
  const listener: TCPSocketListener<{ proxy: VncProxy | null }> = Bun.listen<{ proxy: VncProxy | null }>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        socket.data = { proxy: null }
        const proxy = new VncProxy(target(), {
          send: (chunk) => void socket.write(chunk),
          close: (error) => {
            ended.push(error)
            socket.end()
          },
        })
        socket.data.proxy = proxy
        proxies.push(proxy)
      },
      data: (socket, data) => socket.data.proxy?.write(data),
      close: (socket) => socket.data.proxy?.close(),
    },
    data: { proxy: null },
  })
  const waitEnded = async () => {
    for (let i = 0; i < 200 && ended.length === 0; i++) await Bun.sleep(25)
    return ended[0] ?? null
  }
  return { listener, port: listener.port, ended, proxies, waitEnded }
}

/** Reads what a raw viewer receives until the connection closes. */
async function rawViewer(port: number, say: (write: (b: Uint8Array) => void, end: () => void) => void) {
  const got: number[] = []
  const closed = new Promise<void>((resolve) => {
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open: (s: Socket<undefined>) =>
          say(
            (b) => void s.write(b),
            () => s.end(),
          ),
        data: (_s, d) => void got.push(...d),
        close: () => resolve(),
        error: () => resolve(),
      },
    })
  })
  await closed
  return new Uint8Array(got)
}

const text = (b: Uint8Array) => new TextDecoder().decode(b)

describe("RFB security proxy against a real TigerVNC server", () => {
  let desktop: TestDesktop
  beforeAll(async () => {
    desktop = await startTestDesktop()
  })
  afterAll(async () => {
    await desktop?.stop()
  })

  test("the viewer is offered only security None and gets the real desktop's framebuffer", async () => {
    const p = proxyListener(() => desktop)
    const bytes = await rawViewer(p.port, (write, end) => {
      write(new TextEncoder().encode("RFB 003.008\n"))
      write(Uint8Array.of(1))
      // ClientInit: the server answers with ServerInit, then we hang up.
      write(Uint8Array.of(1))
      setTimeout(end, 500)
    })
    expect(text(bytes.subarray(0, 12))).toBe("RFB 003.008\n")
    expect([...bytes.subarray(12, 14)]).toEqual([1, 1]) // one type: None
    expect([...bytes.subarray(14, 18)]).toEqual([0, 0, 0, 0]) // SecurityResult OK
    const init = new DataView(bytes.buffer, 18)
    expect([init.getUint16(0), init.getUint16(2)]).toEqual([1024, 768])
    p.listener.stop(true)
  })

  test("a viewer without the password reads full framebuffer updates through the proxy", async () => {
    const p = proxyListener(() => desktop)
    const viewer = await RfbClient.tcp("127.0.0.1", p.port)
    expect(p.proxies).toHaveLength(1)
    expect([viewer.width, viewer.height]).toEqual([1024, 768])
    const full = await viewer.update(false)
    expect(full.bytes).toBeGreaterThanOrEqual(1024 * 768 * 4)
    viewer.close()
    await viewer.closed
    p.listener.stop(true)
  })

  test("keys typed through the proxy reach the session: the xterm runs the command and shows it", async () => {
    const p = proxyListener(() => desktop)
    const viewer = await RfbClient.tcp("127.0.0.1", p.port, { keepPixels: true })
    try {
      await viewer.update(false)
      const terminalArea = () => viewer.regionDigest(0, 0, viewer.width, viewer.height - 40)
      // Keys sent before the xterm maps its window are lost: wait for its process, then for a still screen.
      const deadline = Date.now() + 60_000
      while (!(await desktop.exec("pgrep", "-x", "xterm").then(Boolean, () => false))) {
        if (Date.now() > deadline) throw new Error("the desktop's xterm did not start within 60 s")
        await Bun.sleep(200)
      }
      let before = ""
      // Full updates: an incremental one is not answered until something changes, so it could wait forever.
      for (let i = 0; i < 30 && before !== terminalArea(); i++) {
        before = terminalArea()
        await Bun.sleep(500)
        await viewer.update(false)
      }
      viewer.type("touch /tmp/typed-through-proxy\n")
      let after = before
      for (let i = 0; i < 40 && after === before; i++) {
        await Bun.sleep(50)
        await viewer.update(false)
        after = terminalArea()
      }
      expect(after).not.toBe(before)
      // The echo shows before the shell runs the line: look for the file until it is there (10 s at most).
      let listed = ""
      for (const until = Date.now() + 10_000; listed === "" && Date.now() < until; ) {
        listed = await desktop.exec("ls", "/tmp/typed-through-proxy").catch(() => "")
        if (listed === "") await Bun.sleep(100)
      }
      expect(listed).toBe("/tmp/typed-through-proxy")
    } finally {
      viewer.close()
      p.listener.stop(true)
    }
  })

  test("a viewer that vanishes mid-frame closes the proxy's connection to the VNC server", async () => {
    const p = proxyListener(() => desktop)
    const viewer = await RfbClient.tcp("127.0.0.1", p.port)
    expect(await desktop.vncConnections()).toBe(1)
    viewer.requestUpdate(false)
    await Bun.sleep(5)
    viewer.close()
    let open = 1
    for (let i = 0; i < 40 && open > 0; i++) {
      await Bun.sleep(50)
      open = await desktop.vncConnections()
    }
    expect(open).toBe(0)
    p.listener.stop(true)
  })

  test("viewers that give up mid-handshake do not lock the next one out (Xvnc's blacklist is off)", async () => {
    const p = proxyListener(() => desktop)
    for (let i = 0; i < 8; i++) await rawViewer(p.port, (_write, end) => setTimeout(end, 5))
    const viewer = await RfbClient.tcp("127.0.0.1", p.port)
    expect((await viewer.update(false)).bytes).toBeGreaterThanOrEqual(1024 * 768 * 4)
    viewer.close()
    p.listener.stop(true)
  })

  test("viewer bytes that arrive one at a time still complete the handshake", async () => {
    const p = proxyListener(() => desktop)
    const hello = [...new TextEncoder().encode("RFB 003.008\n"), 1, 1]
    const bytes = await rawViewer(p.port, (write, end) => {
      for (const [i, b] of hello.entries()) setTimeout(() => write(Uint8Array.of(b)), i * 5)
      setTimeout(end, 600)
    })
    expect([...bytes.subarray(14, 18)]).toEqual([0, 0, 0, 0])
    expect(bytes.byteLength).toBeGreaterThan(18 + 24)
    p.listener.stop(true)
  })

  test("a paused proxy stops reading from the server until it is resumed", async () => {
    const p = proxyListener(() => desktop)
    const viewer = await RfbClient.tcp("127.0.0.1", p.port)
    const proxy = p.proxies[0] as VncProxy
    proxy.pause()
    let arrived = false
    const pending = viewer.update(false).then((s) => {
      arrived = true
      return s
    })
    await Bun.sleep(400)
    expect(arrived).toBe(false)
    proxy.resume()
    expect((await pending).bytes).toBeGreaterThanOrEqual(1024 * 768 * 4)
    viewer.close()
    p.listener.stop(true)
  })

  test("a viewer that answers with RFB 3.3 is refused and the server side is closed", async () => {
    const p = proxyListener(() => desktop)
    await rawViewer(p.port, (write) => write(new TextEncoder().encode("RFB 003.003\n")))
    const error = await p.waitEnded()
    expect(error?.code).toBe("VIEWER_PROTOCOL")
    expect(error?.message).toContain("3.8")
    p.listener.stop(true)
  })

  test("a wrong password ends with a clear reason for the viewer and both sides closed", async () => {
    const p = proxyListener(() => ({ ...desktop, password: "not-the-password" }))
    const bytes = await rawViewer(p.port, (write) => {
      write(new TextEncoder().encode("RFB 003.008\n"))
      write(Uint8Array.of(1))
    })
    const error = await p.waitEnded()
    expect(error?.code).toBe("VNC_AUTH_FAILED")
    // SecurityResult failed (1) with the reason, then the viewer's connection closes.
    expect([...bytes.subarray(14, 18)]).toEqual([0, 0, 0, 1])
    expect(text(bytes.subarray(22))).toContain("rejected the agent's password")
    p.listener.stop(true)
  })

  test("the VNC server going away mid-stream closes the viewer with a reason", async () => {
    const p = proxyListener(() => desktop)
    const viewer = await RfbClient.tcp("127.0.0.1", p.port)
    await viewer.update(false)
    await desktop.stop()
    await viewer.closed
    expect((await p.waitEnded())?.code).toBe("VNC_CLOSED")
    p.listener.stop(true)
  })
})

describe("RFB security proxy against servers that are not a working VNC server", () => {
  test("a TCP server that greets with something else is reported as not RFB", async () => {
    const other = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { open: (s) => void s.write("SSH-2.0-OpenSSH_9.2\r\n"), data: () => {} },
    })
    const p = proxyListener(() => ({ host: "127.0.0.1", port: other.port, password: "x" }))
    await rawViewer(p.port, () => {})
    const error = await p.waitEnded()
    expect(error?.code).toBe("VNC_NOT_RFB")
    expect(error?.message).toContain("SSH-2.0")
    other.stop(true)
    p.listener.stop(true)
  })

  test("a closed port is reported as unreachable", async () => {
    const spare = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: () => {} } })
    const port = spare.port
    spare.stop(true)
    const p = proxyListener(() => ({ host: "127.0.0.1", port, password: "x" }))
    await rawViewer(p.port, () => {})
    expect((await p.waitEnded())?.code).toBe("VNC_UNREACHABLE")
    p.listener.stop(true)
  })

  test("a server that hangs up mid-handshake is reported as closed", async () => {
    const rude = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      socket: { open: (s) => void s.end("RFB 003.008\n"), data: () => {} },
    })
    const p = proxyListener(() => ({ host: "127.0.0.1", port: rude.port, password: "x" }))
    await rawViewer(p.port, () => {})
    expect((await p.waitEnded())?.code).toBe("VNC_CLOSED")
    rude.stop(true)
    p.listener.stop(true)
  })

  test("a server that never finishes the handshake hits the deadline", async () => {
    const silent = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data: () => {} } })
    const ended: (RfbError | null)[] = []
    const proxy = new VncProxy(
      { host: "127.0.0.1", port: silent.port, password: "x" },
      { send: () => {}, close: (e) => ended.push(e) },
      { handshakeTimeoutMs: 200 },
    )
    await Bun.sleep(400)
    expect(ended[0]?.code).toBe("VNC_TIMEOUT")
    proxy.close()
    silent.stop(true)
  })
})
