import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { DEFAULT_STREAM_WINDOW, decodeFrame, encodeCredit, encodeFrame, FrameKind } from "@streamspace/schemas"
import { connectRedis, type RedisLink } from "../../infra/redis.ts"
import { createLogger } from "../../infra/log.ts"
import { eventually } from "../../testing/eventually.ts"
import { FakeAgent } from "../../testing/fake-agent.ts"
import { startReplica, startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { testRedis } from "../../testing/test-redis.ts"
import type { HubOptions } from "./hub.ts"
import { REPLICA_STREAM_PATH } from "./remote-stream.ts"
import { signReplicaRequest } from "./replica-auth.ts"

const SECRET = "replica-secret-for-tests-000000000000000"
let redisA: RedisLink
let redisB: RedisLink
let a: TestCore
let b: Awaited<ReturnType<typeof startReplica>>
let agent: FakeAgent
let user: TestUser
let templateId: string

const hubOptions = (redis: RedisLink): HubOptions => ({
  heartbeatIntervalMs: 1_000,
  commandTimeoutMs: 10_000,
  sweepIntervalMs: 100,
  cluster: { redis, replicaUrl: () => "", replicaSecret: SECRET },
})
const stateOf = async (id: string) => (await a.db.sql`select state from sessions where id = ${id}`)[0]?.state

beforeAll(async () => {
  redisA = await testRedis()
  // Replica B: its own connections to the same Redis, under the same prefix.
  redisB = connectRedis(process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379", createLogger("silent"), redisA.prefix)
  a = await startTestCore({ agents: hubOptions(redisA) })
  b = await startReplica(a, hubOptions(redisB))
  const admin = await a.admin()
  const { data: template } = await admin.api.templates.post({
    name: "xterm",
    displayName: "XTerm",
    category: "Test",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 256 },
  })
  templateId = template?.id as string
  const { data: reg } = await admin.api.agents.post({ name: "on-b", platform: "docker" })
  // The agent is connected to replica B only; every request below goes to replica A.
  agent = await FakeAgent.online(b.url, reg?.token as string, { autoAck: true, autoHeartbeat: true })
  user = await a.user("alice")
})
afterAll(async () => {
  await agent?.close()
  await b?.close()
  await a?.close()
  await redisB?.close()
  await redisA?.close()
})

/** Launches on replica A and lets the fake agent on B start it. */
async function runningSession(): Promise<string> {
  const { data: s, error } = await user.api.sessions.post({ templateId })
  if (error) throw new Error(JSON.stringify(error.value))
  const start = await agent.next("command", 10_000, (c) => c.sessionId === s?.id)
  agent.send({ type: "command.result", commandId: start.commandId, result: { sessionId: s?.id, state: "running" } })
  await eventually(async () => expect(await stateOf(s?.id as string)).toBe("running"), 10_000)
  return s?.id as string
}

describe("two replicas on one Redis (fake agent)", () => {
  test("replica A sees the agent connected to replica B and places a launch on it; the stop goes the same way", async () => {
    const sessionId = await runningSession()
    const row = (await a.db.sql`select agent_id from sessions where id = ${sessionId}`)[0]
    expect(row?.agentId).toBeString()
    const res = await user.fetch(`/api/v1/sessions/${sessionId}`, { method: "DELETE" })
    expect(res.status).toBeLessThan(300)
    const stop = await agent.next("command", 10_000, (c) => c.action === "session.stop" && c.sessionId === sessionId)
    agent.send({ type: "command.result", commandId: stop.commandId, result: { sessionId, state: "stopped" } })
    await eventually(async () => expect(await stateOf(sessionId)).toBe("stopped"), 10_000)
  })

  test("a stream opened on replica A reaches the agent on B, bytes flow both ways and credit holds end to end", async () => {
    const sessionId = await runningSession()
    const received: Uint8Array[] = []
    let drained = 0
    const opening = a.hub?.openStream(sessionId, {
      onData: (bytes) => received.push(bytes.slice()),
      onDrain: () => drained++,
      onClose: () => {},
      manualCredit: true,
    })
    const open = await agent.next("stream.open", 10_000, (m) => m.sessionId === sessionId)
    agent.send({ type: "stream.opened", streamId: open.streamId, credit: 8 })
    const stream = await (opening as NonNullable<typeof opening>)
    const frames = () => agent.binary.map((x) => decodeFrame(x)).filter((f) => f?.streamId === open.streamId)

    // The agent granted 8 bytes: B forwards only those and holds at most one window more, so A's writer is told to wait.
    const big = new Uint8Array(DEFAULT_STREAM_WINDOW + 16).fill(1)
    big.set(new TextEncoder().encode("01234567"))
    expect(stream.write(big)).toBe(false)
    const dataBytes = () =>
      frames()
        .filter((f) => f?.kind === FrameKind.data)
        .reduce((n, f) => n + (f?.payload.byteLength ?? 0), 0)
    await eventually(() => expect(dataBytes()).toBe(8))
    expect(new TextDecoder().decode(frames()[0]?.payload)).toBe("01234567")
    await Bun.sleep(200)
    expect(dataBytes()).toBe(8)
    expect(drained).toBe(0)
    // More credit from the agent: everything arrives, and A hears that it may write again.
    agent.send(encodeCredit(open.streamId, 2 * DEFAULT_STREAM_WINDOW))
    await eventually(() => expect(dataBytes()).toBe(big.byteLength), 10_000)
    await eventually(() => expect(drained).toBe(1), 10_000)

    // The other way: A holds the bytes unconsumed, so B returns no credit to the agent until A says so.
    const chunk = new Uint8Array(256 * 1024).fill(7)
    for (let i = 0; i < 4; i++) agent.send(encodeFrame(FrameKind.data, open.streamId, chunk))
    await eventually(() => expect(received.reduce((n, x) => n + x.byteLength, 0)).toBe(4 * chunk.byteLength))
    const credits = () => frames().filter((f) => f?.kind === FrameKind.credit).length
    await Bun.sleep(200)
    expect(credits()).toBe(0)
    stream.consumed(4 * chunk.byteLength)
    await eventually(() => expect(credits()).toBeGreaterThan(0))
    stream.close("viewer left")
    await agent.next("stream.close", 10_000, (m) => m.streamId === open.streamId)
  })

  test("a viewer ticket issued on replica B opens the desktop WebSocket on replica A (tickets in Redis)", async () => {
    const sessionId = await runningSession()
    const res = await b.fetch(`/api/v1/sessions/${sessionId}/connect`, { method: "POST" }, user.token)
    expect(res.status).toBe(200)
    const { ticket } = (await res.json()) as { ticket: string }
    const ws = new WebSocket(`${(a.url as string).replace("http", "ws")}/api/v1/vnc/${sessionId}?ticket=${ticket}`)
    ws.binaryType = "arraybuffer"
    const got: string[] = []
    ws.addEventListener("message", (e) => got.push(new TextDecoder().decode(e.data as ArrayBuffer)))
    const open = await agent.next("stream.open", 10_000, (m) => m.sessionId === sessionId)
    agent.send({ type: "stream.opened", streamId: open.streamId, credit: 1024 * 1024 })
    agent.send(encodeFrame(FrameKind.data, open.streamId, new TextEncoder().encode("RFB 003.008\n")))
    await eventually(() => expect(got.join("")).toBe("RFB 003.008\n"), 10_000)
    ws.close()
    await agent.next("stream.close", 10_000, (m) => m.streamId === open.streamId)
  })

  test("revoking a share on replica B closes the grantee's viewer on replica A at once", async () => {
    const sessionId = await runningSession()
    const bob = await a.user("bob")
    const granted = await user.fetch(`/api/v1/sessions/${sessionId}/shares`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bob", level: "view" }),
    })
    expect(granted.status).toBe(201)
    const share = (await granted.json()) as { id: string }
    const { ticket } = (await (await bob.fetch(`/api/v1/sessions/${sessionId}/connect`, { method: "POST" })).json()) as {
      ticket: string
    }
    const ws = new WebSocket(`${(a.url as string).replace("http", "ws")}/api/v1/vnc/${sessionId}?ticket=${ticket}`)
    const closed = new Promise<{ code: number; reason: string }>((resolve) =>
      ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })),
    )
    const open = await agent.next("stream.open", 10_000, (m) => m.sessionId === sessionId)
    agent.send({ type: "stream.opened", streamId: open.streamId, credit: 1024 * 1024 })
    const revoked = await b.fetch(`/api/v1/sessions/${sessionId}/shares/${share.id}`, { method: "DELETE" }, user.token)
    expect(revoked.status).toBe(204)
    expect(await closed).toEqual({ code: 4001, reason: "Your share of this session was revoked." })
  })

  test("the replica stream endpoint refuses a request without a valid signature", async () => {
    const sessionId = crypto.randomUUID()
    const path = `${REPLICA_STREAM_PATH}/${sessionId}?window=1048576`
    const unsigned = await b.fetch(path, { headers: { upgrade: "websocket" } })
    expect(unsigned.status).toBe(401)
    const wrongKey = await b.fetch(path, {
      headers: { upgrade: "websocket", ...signReplicaRequest("x".repeat(40), "evil", sessionId) },
    })
    expect(wrongKey.status).toBe(401)
    const old = signReplicaRequest(SECRET, "replica-a", sessionId, Date.now() - 120_000)
    expect((await b.fetch(path, { headers: { upgrade: "websocket", ...old } })).status).toBe(401)
    const otherSession = signReplicaRequest(SECRET, "replica-a", crypto.randomUUID())
    expect((await b.fetch(path, { headers: { upgrade: "websocket", ...otherSession } })).status).toBe(401)
  })
})
