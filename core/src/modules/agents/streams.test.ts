import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import {
  creditOf,
  DEFAULT_STREAM_WINDOW,
  decodeFrame,
  encodeCredit,
  encodeFrame,
  FrameKind,
  MAX_STREAM_PAYLOAD_BYTES,
} from "@streamspace/schemas"
import { eventually } from "../../testing/eventually.ts"
import { FakeAgent } from "../../testing/fake-agent.ts"
import { startTestCore, type TestCore } from "../../testing/test-core.ts"
import { StreamOpenFailed } from "./streams.ts"

let core: TestCore
let agent: FakeAgent
let sessionId: string

beforeAll(async () => {
  core = await startTestCore({ agents: { heartbeatIntervalMs: 1_000, commandTimeoutMs: 5_000, sweepIntervalMs: 50 } })
  const admin = await core.admin()
  const { data: template } = await admin.api.templates.post({
    name: "stream-me",
    displayName: "Stream",
    category: "Test",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 256 },
  })
  const { data: reg } = await admin.api.agents.post({ name: "streamer", platform: "docker" })
  agent = await FakeAgent.online(core.url as string, reg?.token as string, { autoAck: true, autoHeartbeat: true })
  const { data: s } = await (await core.user("viewer")).api.sessions.post({ templateId: template?.id as string })
  sessionId = s?.id as string
  const start = await agent.next("command")
  agent.send({ type: "command.result", commandId: start.commandId, result: { sessionId, state: "running" } })
  await eventually(async () =>
    expect((await core.db.sql`select state from sessions where id = ${sessionId}`)[0]?.state).toBe("running"),
  )
})
afterAll(async () => {
  await agent.close()
  await core.close()
})

/** Binary frames the fake agent received for one stream, decoded. */
const framesFor = (streamId: number) =>
  agent.binary.map((b) => decodeFrame(b)).filter((f) => f?.streamId === streamId) as NonNullable<ReturnType<typeof decodeFrame>>[]

describe("streams to a session through its agent (fake agent)", () => {
  test("the core opens a stream, bytes flow both ways, and the core never exceeds the agent's credit", async () => {
    const received: Uint8Array[] = []
    const opening = core.hub!.openStream(sessionId, { onData: (b) => received.push(b.slice()), onClose: () => {} })
    const open = await agent.next("stream.open")
    expect(open).toEqual({ type: "stream.open", streamId: open.streamId, sessionId, credit: DEFAULT_STREAM_WINDOW })
    agent.send({ type: "stream.opened", streamId: open.streamId, credit: 10 })
    const stream = await opening

    expect(stream.write(new TextEncoder().encode("RFB 003.008\n-and-more"))).toBe(false)
    await eventually(() => expect(framesFor(open.streamId).length).toBe(1))
    expect(new TextDecoder().decode(framesFor(open.streamId)[0]?.payload)).toBe("RFB 003.00")
    agent.send(encodeCredit(open.streamId, 100))
    await eventually(() => expect(framesFor(open.streamId).length).toBe(2))
    expect(new TextDecoder().decode(framesFor(open.streamId)[1]?.payload)).toBe("8\n-and-more")

    agent.send(encodeFrame(FrameKind.data, open.streamId, new TextEncoder().encode("hello viewer")))
    await eventually(() => expect(new TextDecoder().decode(received[0])).toBe("hello viewer"))
    stream.close("viewer left")
    const closed = await agent.next("stream.close")
    expect(closed).toEqual({ type: "stream.close", streamId: open.streamId, reason: "viewer left" })
  })

  test("the core returns credit as it consumes, so a long download never stalls", async () => {
    let total = 0
    const opening = core.hub!.openStream(sessionId, { onData: (b) => (total += b.byteLength), onClose: () => {} })
    const open = await agent.next("stream.open")
    agent.send({ type: "stream.opened", streamId: open.streamId, credit: 1 })
    const stream = await opening
    // A whole window in small frames: all of it must come back as credit.
    const chunk = new Uint8Array(128 * 1024)
    const frames = DEFAULT_STREAM_WINDOW / chunk.byteLength
    for (let i = 0; i < frames; i++) agent.send(encodeFrame(FrameKind.data, open.streamId, chunk))
    await eventually(() => expect(total).toBe(frames * chunk.byteLength))
    const credited = () =>
      framesFor(open.streamId)
        .filter((f) => f.kind === FrameKind.credit)
        .reduce((sum, f) => sum + creditOf(f), 0)
    await eventually(() => expect(credited()).toBe(DEFAULT_STREAM_WINDOW))
    stream.close()
  })

  test("an agent that sends past its credit loses that stream, not the connection", async () => {
    let reason = ""
    const opening = core.hub!.openStream(sessionId, { onData: () => {}, onClose: (r) => (reason = r), manualCredit: true })
    const open = await agent.next("stream.open")
    agent.send({ type: "stream.opened", streamId: open.streamId, credit: 1 })
    await opening
    // One frame more than the window the core announced, and nothing consumed.
    for (let i = 0; i <= DEFAULT_STREAM_WINDOW / MAX_STREAM_PAYLOAD_BYTES; i++)
      agent.send(encodeFrame(FrameKind.data, open.streamId, new Uint8Array(MAX_STREAM_PAYLOAD_BYTES)))
    await eventually(() => expect(reason).toBe("the agent sent more than its credit"))
    await agent.next("stream.close", 5_000, (m) => m.streamId === open.streamId)
    expect(agent.ws.readyState).toBe(WebSocket.OPEN)
  })

  test("an agent that refuses the stream rejects the open with its reason; an unplaced session cannot be streamed", async () => {
    const opening = core.hub!.openStream(sessionId, { onData: () => {}, onClose: () => {} })
    const open = await agent.next("stream.open")
    agent.send({ type: "stream.close", streamId: open.streamId, reason: "the session's VNC server does not answer" })
    await expect(opening).rejects.toThrow("the session's VNC server does not answer")
    await expect(core.hub!.openStream(crypto.randomUUID(), { onData: () => {}, onClose: () => {} })).rejects.toBeInstanceOf(
      StreamOpenFailed,
    )
  })
})
