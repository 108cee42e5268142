// The full VNC path with real processes and a real desktop: browser WebSocket → control plane → Docker agent → Xvnc.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { RfbClient } from "../agents/runtime/src/vnc/rfb-client.ts"
import { type StackSession, type StackUser, startVncStack, type VncStack } from "./vnc-stack.ts"

let stack: VncStack
let alice: StackUser
let bob: StackUser
let carol: StackUser
let session: StackSession

beforeAll(async () => {
  stack = await startVncStack()
  alice = await stack.user("alice-full")
  bob = await stack.user("bob-full")
  carol = await stack.user("carol-full")
  session = await stack.launch(alice)
})
afterAll(() => stack?.close())

const share = async (owner: StackUser, sessionId: string, username: string, level: string, expiresAt?: string) => {
  const res = await owner.fetch(`/api/v1/sessions/${sessionId}/shares`, {
    method: "POST",
    body: JSON.stringify({ username, level, ...(expiresAt ? { expiresAt } : {}) }),
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { id: string }
}

async function viewer(who: StackUser, sessionId = session.id, keepPixels = false): Promise<RfbClient> {
  return RfbClient.webSocket(`${stack.wsBase}${(await who.ticket(sessionId)).url}`, { keepPixels })
}

const docker = async (...args: string[]) => {
  const p = Bun.spawn(["docker", ...args], { stdout: "pipe", stderr: "pipe" })
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited])
  return { out: out.trim(), code }
}
const fileExists = async (path: string) => (await docker("exec", session.container, "test", "-e", path)).code === 0
const xtermRuns = async () => (await docker("exec", session.container, "pgrep", "-x", "xterm")).code === 0
/** Established TCP connections to the session's VNC port, read inside its container. */
async function vncConnections(): Promise<number> {
  const { out } = await docker("exec", session.container, "cat", "/proc/net/tcp", "/proc/net/tcp6")
  return out.split("\n").filter((l) => /^\s*\d+: [0-9A-F]+:170C [0-9A-F]+:[0-9A-F]+ 01 /.test(l)).length
}
async function eventually(probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (await probe()) return true
    await Bun.sleep(100)
  }
  return probe()
}

describe("the full VNC path (real control plane, real Docker agent, real Xvnc)", () => {
  test("the RFB handshake completes with security None and full framebuffer updates arrive", async () => {
    const v = await viewer(alice)
    expect([v.width, v.height]).toEqual([1280, 800])
    const full = await v.update(false)
    expect(full.bytes).toBeGreaterThanOrEqual(1280 * 800 * 4)
    const again = await v.update(false)
    expect(again.bytes).toBe(full.bytes)
    v.close()
  })

  test("concurrent viewers of one session all get their updates", async () => {
    await share(alice, session.id, bob.user.username, "view")
    const viewers = await Promise.all([viewer(alice), viewer(alice), viewer(bob), viewer(bob)])
    const rounds = await Promise.all(
      viewers.map(async (v) => [await v.update(false), await v.update(false), await v.update(false)]),
    )
    for (const r of rounds) for (const u of r) expect(u.bytes).toBeGreaterThanOrEqual(1280 * 800 * 4)
    for (const v of viewers) v.close()
  })

  test("a view-only viewer's keys never reach the desktop while the owner's do", async () => {
    await share(alice, session.id, bob.user.username, "view")
    const watcher = await viewer(bob, session.id, true)
    const owner = await viewer(alice)
    const screen = () => watcher.regionDigest(0, 0, watcher.width, watcher.height - 40)
    // A fresh session may not have started its xterm yet (keys typed before it maps its window are lost),
    // or may still be drawing it: wait for the process, then until the screen holds still.
    expect(await eventually(xtermRuns, 60_000)).toBe(true)
    let before = ""
    for (let i = 0; i < 30 && before !== screen(); i++) {
      before = screen()
      await Bun.sleep(700)
      await watcher.update(false)
    }
    watcher.type("touch /tmp/typed-by-viewer\n")
    watcher.pointer(1, 200, 200)
    watcher.pointer(0, 200, 200)
    await Bun.sleep(1_000)
    await watcher.update(false)
    expect(screen()).toBe(before)
    expect(await fileExists("/tmp/typed-by-viewer")).toBe(false)

    owner.type("touch /tmp/typed-by-owner\n")
    expect(await eventually(() => fileExists("/tmp/typed-by-owner"))).toBe(true)
    await watcher.update(false)
    expect(screen()).not.toBe(before) // the viewer watches the owner's typing appear
    expect(await fileExists("/tmp/typed-by-viewer")).toBe(false)
    watcher.close()
    owner.close()
  })

  test("strangers, revoked and expired shares are refused; revoking ends the open stream", async () => {
    const stranger = await stack.user("mallory-full")
    expect((await stranger.fetch(`/api/v1/sessions/${session.id}/connect`, { method: "POST" })).status).toBe(404)

    const granted = await share(alice, session.id, carol.user.username, "control")
    const guest = await viewer(carol)
    await guest.update(false)
    expect((await alice.fetch(`/api/v1/sessions/${session.id}/shares/${granted.id}`, { method: "DELETE" })).status).toBe(204)
    await guest.closed
    expect(guest.closeCode).toBe(4001)
    expect((await carol.fetch(`/api/v1/sessions/${session.id}/connect`, { method: "POST" })).status).toBe(404)

    await share(alice, session.id, carol.user.username, "view", new Date(Date.now() + 1_500).toISOString())
    const brief = await viewer(carol)
    await brief.closed
    expect(brief.closeCode).toBe(4002)
    expect((await carol.fetch(`/api/v1/sessions/${session.id}/connect`, { method: "POST" })).status).toBe(404)
  })

  test("a ticket is good for one stream only", async () => {
    const url = `${stack.wsBase}${(await alice.ticket(session.id)).url}`
    const first = await RfbClient.webSocket(url)
    await expect(RfbClient.webSocket(url)).rejects.toThrow("did not open")
    await first.update(false)
    first.close()
  })

  test("a viewer that vanishes mid-frame leaves no connection behind on the VNC server", async () => {
    const baseline = await vncConnections()
    const v = await viewer(alice)
    expect(await vncConnections()).toBe(baseline + 1)
    v.requestUpdate(false)
    await Bun.sleep(5) // the frame is under way
    v.close()
    expect(await eventually(async () => (await vncConnections()) === baseline)).toBe(true)
  })

  test("a malformed RFB stream from a view-only viewer closes that stream only", async () => {
    await share(alice, session.id, bob.user.username, "view")
    const owner = await viewer(alice)
    const rogue = await viewer(bob)
    rogue.send(Uint8Array.of(77, 1, 2, 3))
    await rogue.closed
    expect(rogue.closeCode).toBe(1008)
    expect(rogue.closeReason).toContain("message type 77")
    expect((await owner.update(false)).bytes).toBeGreaterThanOrEqual(1280 * 800 * 4)
    owner.close()
  })
})
