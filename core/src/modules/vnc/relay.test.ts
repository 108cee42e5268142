// The browser's desktop WebSocket against the real hub, with a fake agent scripted frame by frame.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { creditOf, decodeFrame, encodeFrame, FrameKind, type StreamOpen } from "@streamspace/schemas"
import { eventually } from "../../testing/eventually.ts"
import { FakeAgent, fakeCapacity } from "../../testing/fake-agent.ts"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"

let core: TestCore
let agent: FakeAgent
let templateId: string

beforeAll(async () => {
  core = await startTestCore({ agents: { heartbeatIntervalMs: 1_000, commandTimeoutMs: 5_000, sweepIntervalMs: 50 } })
  const admin = await core.admin()
  const { data: template } = await admin.api.templates.post({
    name: "relay-me",
    displayName: "Relay",
    category: "Test",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 256 },
  })
  templateId = template?.id as string
  const { data: reg } = await admin.api.agents.post({ name: "relay-agent", platform: "docker" })
  // Room for every session this file starts: they are left running.
  const capacity = fakeCapacity(100)
  agent = await FakeAgent.online(core.url as string, reg?.token as string, {
    autoAck: true,
    autoHeartbeat: true,
    hello: { capacity },
  })
  agent.capacity = capacity
})
afterAll(async () => {
  await agent.close()
  await core.close()
})

const bytes = (...n: number[]) => Uint8Array.from(n)
const RFB = new TextEncoder().encode("RFB 003.008\n")
const clientHello = [...RFB, 1, 0] // version, security None, ClientInit exclusive
const keyA = [4, 1, 0, 0, 0, 0, 0, 0x61]
const updateRequest = [3, 0, 0, 0, 0, 0, 4, 0, 3, 0]

async function runningSession(owner: TestUser): Promise<string> {
  const { data: s } = await owner.api.sessions.post({ templateId })
  const start = await agent.next("command", 5_000, (c) => c.sessionId === s?.id)
  agent.send({ type: "command.result", commandId: start.commandId, result: { sessionId: s?.id, state: "running" } })
  await eventually(async () =>
    expect((await core.db.sql`select state from sessions where id = ${s?.id as string}`)[0]?.state).toBe("running"),
  )
  return s?.id as string
}

async function shareWith(owner: TestUser, sessionId: string, username: string, level: string, expiresAt?: string) {
  const res = await owner.fetch(`/api/v1/sessions/${sessionId}/shares`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username, level, ...(expiresAt ? { expiresAt } : {}) }),
  })
  expect(res.status).toBe(201)
  return (await res.json()) as { id: string }
}

interface Browser {
  ws: Bun.WebSocket
  received: Uint8Array[]
  closed: Promise<{ code: number; reason: string }>
  send(b: number[] | Uint8Array): void
}

async function ticketUrl(who: TestUser, sessionId: string): Promise<string> {
  const res = await who.fetch(`/api/v1/sessions/${sessionId}/connect`, { method: "POST" })
  expect(res.status).toBe(200)
  return `${(core.url as string).replace(/^http/, "ws")}${(await res.json()).url}`
}

function openBrowser(url: string): Promise<Browser> {
  // Bun's client, not the DOM type: it can stop reading (a stalled browser) and drop the connection.
  const ws = new WebSocket(url) as unknown as Bun.WebSocket
  ws.binaryType = "arraybuffer"
  const received: Uint8Array[] = []
  ws.onmessage = (e) => received.push(new Uint8Array(e.data as ArrayBuffer))
  const closed = new Promise<{ code: number; reason: string }>((r) => (ws.onclose = (e) => r({ code: e.code, reason: e.reason })))
  return new Promise((resolve, reject) => {
    ws.onopen = () => resolve({ ws, received, closed, send: (b) => ws.send(b instanceof Uint8Array ? b : Uint8Array.from(b)) })
    ws.onerror = (e) => reject(new Error((e as ErrorEvent).message ?? "refused"))
  })
}

const WINDOW = 1024 * 1024

/** A browser on the ticket's URL, with the agent's side of its stream accepted. */
async function attach(url: string, sessionId: string) {
  const browser = await openBrowser(url)
  const open = await agent.next("stream.open", 5_000, (m) => m.sessionId === sessionId)
  agent.send({ type: "stream.opened", streamId: open.streamId, credit: WINDOW })
  return { browser, open }
}
const connectBrowser = async (who: TestUser, sessionId: string) => attach(await ticketUrl(who, sessionId), sessionId)

/** Data the agent received on one stream, joined. */
const agentGot = (open: StreamOpen) =>
  agent.binary
    .map((b) => decodeFrame(b))
    .filter((f) => f?.streamId === open.streamId && f.kind === FrameKind.data)
    .flatMap((f) => [...(f?.payload ?? [])])
const creditFrom = (open: StreamOpen) =>
  agent.binary
    .map((b) => decodeFrame(b))
    .filter((f) => f?.streamId === open.streamId && f.kind === FrameKind.credit)
    .reduce((sum, f) => sum + creditOf(f as NonNullable<typeof f>), 0)
const toBrowser = (open: StreamOpen, payload: Uint8Array) => agent.send(encodeFrame(FrameKind.data, open.streamId, payload))
const browserGot = (b: Browser) => b.received.flatMap((x) => [...x])

describe("the desktop WebSocket (fake agent)", () => {
  test("the owner's bytes reach the agent filtered only to a shared ClientInit, and the agent's bytes arrive as binary frames", async () => {
    const alice = await core.user("alice-r1")
    const id = await runningSession(alice)
    const { browser, open } = await connectBrowser(alice, id)
    toBrowser(open, RFB)
    await eventually(() => expect(browserGot(browser)).toEqual([...RFB]))
    browser.send([...clientHello, ...keyA])
    await eventually(() => expect(agentGot(open)).toEqual([...RFB, 1, 1, ...keyA]))
    await eventually(async () =>
      expect((await core.db.sql`select last_activity_at from sessions where id = ${id}`)[0]?.lastActivityAt).not.toBeNull(),
    )
    browser.ws.close()
    await agent.next("stream.close", 5_000, (m) => m.streamId === open.streamId)
  })

  test("a view-only viewer's keys and pointer never reach the agent; its screen requests do", async () => {
    const [alice, bob] = await core.users("alice-r2", "bob-r2")
    const id = await runningSession(alice!)
    await shareWith(alice!, id, "bob-r2", "view")
    const { browser, open } = await connectBrowser(bob!, id)
    browser.send([...clientHello, ...keyA, ...updateRequest, 5, 1, 0, 10, 0, 10, ...keyA.slice(0, 3)])
    browser.send([...keyA.slice(3), ...updateRequest])
    await eventually(() => expect(agentGot(open)).toEqual([...RFB, 1, 1, ...updateRequest, ...updateRequest]))
    expect((await core.db.sql`select last_activity_at from sessions where id = ${id}`)[0]?.lastActivityAt).toBeNull()
    browser.ws.close()
  })

  test("a malformed RFB stream from a view-only viewer closes that stream only", async () => {
    const [alice, bob] = await core.users("alice-r3", "bob-r3")
    const id = await runningSession(alice!)
    await shareWith(alice!, id, "bob-r3", "view")
    const owner = await connectBrowser(alice!, id)
    const viewer = await connectBrowser(bob!, id)
    viewer.browser.send([...clientHello, 99, 1, 2, 3])
    expect((await viewer.browser.closed).code).toBe(1008)
    await agent.next("stream.close", 5_000, (m) => m.streamId === viewer.open.streamId)
    owner.browser.send([...clientHello, ...keyA])
    await eventually(() => expect(agentGot(owner.open)).toEqual([...RFB, 1, 1, ...keyA]))
    toBrowser(owner.open, bytes(1, 2, 3))
    await eventually(() => expect(browserGot(owner.browser)).toEqual([1, 2, 3]))
    expect(owner.browser.ws.readyState).toBe(WebSocket.OPEN)
    owner.browser.ws.close()
  })

  test("a ticket opens one stream: reuse, another session's id, a stranger and no ticket are refused", async () => {
    const [alice, mallory] = await core.users("alice-r4", "mallory-r4")
    const id = await runningSession(alice!)
    const other = await runningSession(alice!)
    const url = await ticketUrl(alice!, id)
    const { browser } = await attach(url, id)
    await expect(openBrowser(url)).rejects.toThrow(/401/)
    await expect(openBrowser((await ticketUrl(alice!, id)).replace(id, other))).rejects.toThrow(/401/)
    await expect(openBrowser(`${(core.url as string).replace(/^http/, "ws")}/api/v1/vnc/${id}`)).rejects.toThrow(/422|400/)
    expect((await mallory!.fetch(`/api/v1/sessions/${id}/connect`, { method: "POST" })).status).toBe(404)
    browser.ws.close()
  })

  test("revoking a share ends that user's streams at once; the owner's stream stays", async () => {
    const [alice, carol] = await core.users("alice-r5", "carol-r5")
    const id = await runningSession(alice!)
    const share = await shareWith(alice!, id, "carol-r5", "control")
    const owner = await connectBrowser(alice!, id)
    const guest = await connectBrowser(carol!, id)
    expect((await alice!.fetch(`/api/v1/sessions/${id}/shares/${share.id}`, { method: "DELETE" })).status).toBe(204)
    expect(await guest.browser.closed).toEqual({ code: 4001, reason: "Your share of this session was revoked." })
    await agent.next("stream.close", 5_000, (m) => m.streamId === guest.open.streamId)
    expect(owner.browser.ws.readyState).toBe(WebSocket.OPEN)
    expect((await carol!.fetch(`/api/v1/sessions/${id}/connect`, { method: "POST" })).status).toBe(404)
    owner.browser.ws.close()
  })

  test("a share that expires while streaming ends the stream", async () => {
    const [alice, dave] = await core.users("alice-r6", "dave-r6")
    const id = await runningSession(alice!)
    await shareWith(alice!, id, "dave-r6", "view", new Date(Date.now() + 800).toISOString())
    const { browser, open } = await connectBrowser(dave!, id)
    expect((await browser.closed).code).toBe(4002)
    await agent.next("stream.close", 5_000, (m) => m.streamId === open.streamId)
  })

  test("the agent closing the stream closes the browser's socket with its reason", async () => {
    const alice = await core.user("alice-r7")
    const id = await runningSession(alice)
    const { browser, open } = await connectBrowser(alice, id)
    agent.send({ type: "stream.close", streamId: open.streamId, reason: "The session's VNC server closed the connection." })
    expect(await browser.closed).toEqual({ code: 1011, reason: "The session's VNC server closed the connection." })
  })

  test("a browser that stops reading gets no more than the window, and a second viewer on the same agent keeps flowing", async () => {
    const alice = await core.user("alice-r8")
    const id = await runningSession(alice)
    const slow = await connectBrowser(alice, id)
    const fast = await connectBrowser(alice, id)
    slow.browser.ws.pause()
    const chunk = new Uint8Array(256 * 1024)
    // Like a real agent, send only what the credit allows; kernel buffers absorb a few MB, so send plenty.
    const TOTAL = 48 * WINDOW
    let sentSlow = 0
    const pump = setInterval(() => {
      while (sentSlow < TOTAL && WINDOW + creditFrom(slow.open) - sentSlow >= chunk.byteLength) {
        toBrowser(slow.open, chunk)
        sentSlow += chunk.byteLength
      }
    }, 20)
    for (let i = 0; i < 8; i++) toBrowser(fast.open, chunk)
    const receivedBy = (b: Browser) => b.received.reduce((n, x) => n + x.byteLength, 0)
    await eventually(() => expect(receivedBy(fast.browser)).toBe(8 * chunk.byteLength), 10_000)
    await Bun.sleep(500)
    // The stalled viewer holds the agent back by credit, not by an unbounded queue in the core.
    expect(sentSlow).toBeLessThan(TOTAL)
    expect(sentSlow - creditFrom(slow.open)).toBeLessThanOrEqual(WINDOW)
    slow.browser.ws.resume()
    await eventually(() => expect(receivedBy(slow.browser)).toBe(TOTAL), 20_000)
    clearInterval(pump)
    slow.browser.ws.close()
    fast.browser.ws.close()
  })

  test("a viewer that vanishes mid-frame ends the agent's side of the stream", async () => {
    const alice = await core.user("alice-r9")
    const id = await runningSession(alice)
    const { browser, open } = await connectBrowser(alice, id)
    toBrowser(open, new Uint8Array(200 * 1024))
    browser.ws.terminate()
    const closed = await agent.next("stream.close", 5_000, (m) => m.streamId === open.streamId)
    expect(closed.reason).toBe("the viewer disconnected")
  })

  test("connecting to a hibernated session wakes it, then streams", async () => {
    const alice = await core.user("alice-r10")
    const id = await runningSession(alice)
    expect((await alice.fetch(`/api/v1/sessions/${id}/hibernate`, { method: "POST" })).status).toBe(202)
    const sleep = await agent.next("command", 5_000, (c) => c.sessionId === id && c.action === "session.hibernate")
    agent.send({ type: "command.result", commandId: sleep.commandId, result: { sessionId: id, state: "hibernated" } })
    await eventually(async () =>
      expect((await core.db.sql`select state from sessions where id = ${id}`)[0]?.state).toBe("hibernated"),
    )

    const browser = await openBrowser(await ticketUrl(alice, id))
    const wake = await agent.next("command", 5_000, (c) => c.sessionId === id && c.action === "session.wake")
    agent.send({ type: "command.result", commandId: wake.commandId, result: { sessionId: id, state: "running" } })
    const open = await agent.next("stream.open", 5_000, (m) => m.sessionId === id)
    agent.send({ type: "stream.opened", streamId: open.streamId, credit: WINDOW })
    toBrowser(open, RFB)
    await eventually(() => expect(browserGot(browser)).toEqual([...RFB]))
    browser.ws.close()
  })
})
