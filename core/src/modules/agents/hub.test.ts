import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { encodeFrame, FrameKind } from "@streamspace/schemas"
import { eventually } from "../../testing/eventually.ts"
import { FakeAgent, fakeCapacity } from "../../testing/fake-agent.ts"
import { startTestCore, type TestCore } from "../../testing/test-core.ts"

let core: TestCore
let url: string
// Short, so the silent-agent test is quick; long enough that a loaded CI machine answers hello before 3 × this.
const HEARTBEAT_MS = 500

beforeAll(async () => {
  core = await startTestCore({ agents: { heartbeatIntervalMs: HEARTBEAT_MS, commandTimeoutMs: 3_000, sweepIntervalMs: 50 } })
  url = core.url as string
})
afterAll(() => core.close())

async function register(name: string) {
  const admin = await core.admin()
  const { data, status } = await admin.api.agents.post({ name, platform: "docker" })
  expect(status).toBe(201)
  return { admin, id: data?.id as string, token: data?.token as string }
}

const agentRow = async (id: string) =>
  (
    await core.db.sql<{ status: string; version: string | null; capacity: unknown; lastHeartbeatAt: string | null }[]>`
    select status, version, capacity, last_heartbeat_at from agents where id = ${id}`
  )[0]

const eventsOf = async (agentId: string) =>
  (await core.db.sql<{ type: string }[]>`select type from outbox where payload->>'agentId' = ${agentId} order by id`).map(
    (r) => r.type,
  )

describe("agent hub", () => {
  test("an agent with its token says hello, is welcomed and recorded online with version and capacity", async () => {
    const { id, token } = await register("hello-ok")
    const agent = await FakeAgent.connect(url, token)
    const welcome = await agent.sayHello({ version: "1.2.3", capacity: fakeCapacity(7) })
    expect(welcome).toEqual({ type: "welcome", agentId: id, heartbeatIntervalMs: HEARTBEAT_MS, sessions: [] })
    const row = await agentRow(id)
    expect(row?.status).toBe("online")
    expect(row?.version).toBe("1.2.3")
    expect(row?.capacity).toEqual({ maxSessions: 7, runningSessions: 0 })
    expect(await eventsOf(id)).toEqual(["agent.connected"])
    await agent.close()
    await eventually(async () => expect((await agentRow(id))?.status).toBe("offline"))
    expect(await eventsOf(id)).toEqual(["agent.connected", "agent.disconnected"])
  })

  test("no token, a user's access token or an unknown agent token is refused before the upgrade", async () => {
    const user = await core.user("not-an-agent")
    const upgrade = {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    for (const authorization of [undefined, `Bearer ${user.token}`, "Bearer ssa_unknown-token"]) {
      const res = await fetch(`${url}/api/v1/agents/connect`, {
        headers: { ...upgrade, ...(authorization ? { authorization } : {}) },
      })
      expect(res.status).toBe(401)
      expect(res.headers.get("content-type")).toContain("application/problem+json")
      expect((await res.json()).code).toBe("UNAUTHENTICATED")
    }
    await expect(FakeAgent.connect(url, "ssa_unknown-token")).rejects.toThrow(/401/)
  })

  test("revoking a connected agent closes its connection, and its token is refused from then on", async () => {
    const { admin, id, token } = await register("revoke-me")
    const agent = await FakeAgent.online(url, token)
    const { status } = await admin.api.agents({ id }).revoke.post()
    expect(status).toBe(200)
    expect(await agent.closed).toEqual({ code: 4003, reason: "token revoked" })
    await expect(FakeAgent.connect(url, token)).rejects.toThrow(/401/)
    expect((await agentRow(id))?.status).toBe("revoked")
  })

  test("rotating the token drops the old connection; the new token connects", async () => {
    const { admin, id, token } = await register("rotate-me")
    const agent = await FakeAgent.online(url, token)
    const { data } = await admin.api.agents({ id })["rotate-token"].post()
    expect((await agent.closed).code).toBe(4003)
    await expect(FakeAgent.connect(url, token)).rejects.toThrow(/401/)
    const again = await FakeAgent.online(url, data?.token as string)
    await again.close()
  })

  test("the first frame must be hello", async () => {
    const { token } = await register("no-hello")
    const agent = await FakeAgent.connect(url, token)
    agent.heartbeat()
    expect(await agent.closed).toEqual({ code: 1008, reason: "expected hello first, got heartbeat" })
  })

  test("a hello for another platform than the agent's registration is refused", async () => {
    const { token } = await register("wrong-platform")
    const agent = await FakeAgent.connect(url, token)
    agent.send({
      type: "hello",
      protocol: 1,
      instanceId: "x",
      platform: "kubernetes",
      cluster: "default",
      version: "1",
      capacity: fakeCapacity(),
      leader: true,
    })
    const closed = await agent.closed
    expect(closed.code).toBe(1008)
    expect(closed.reason).toContain("hello says kubernetes/default")
  })

  test("a malformed, unknown or oversized frame closes only that connection, with the reason", async () => {
    const bystander = await register("bystander")
    const calm = await FakeAgent.online(url, bystander.token)
    const beat = setInterval(() => calm.heartbeat(), HEARTBEAT_MS / 2)
    const cases: [string, object | string | Uint8Array, number, string][] = [
      ["not-json", "{not json", 1008, "text frame is not JSON"],
      ["unknown-type", { type: "launch.missiles" }, 1008, 'unknown agent message type "launch.missiles"'],
      [
        "bad-field",
        { type: "heartbeat", capacity: { maxSessions: "ten", runningSessions: 0 }, leader: true, sessions: [] },
        1008,
        "heartbeat: /capacity/maxSessions expected integer",
      ],
      [
        "extra-field",
        { type: "command.ack", commandId: crypto.randomUUID(), sneaky: 1 },
        1008,
        "command.ack: /sneaky unexpected property",
      ],
      ["oversized", { type: "heartbeat", padding: "x".repeat(300 * 1024) }, 1009, "text frame exceeds the limit of 262144 bytes"],
      ["bad-binary", new Uint8Array([9, 0, 0, 0, 1]), 1008, "malformed binary frame (bad kind, stream id 0 or bad credit size)"],
      [
        "huge-binary",
        encodeFrame(FrameKind.data, 1, new Uint8Array(300 * 1024)),
        1009,
        "binary frame of 307205 bytes exceeds the limit of 262149",
      ],
    ]
    for (const [name, frame, code, reason] of cases) {
      const { token } = await register(`bad-${name}`)
      const agent = await FakeAgent.online(url, token)
      agent.send(frame)
      expect({ name, ...(await agent.closed) }).toEqual({ name, code, reason })
    }
    clearInterval(beat)
    calm.heartbeat([], fakeCapacity(10, 3))
    await eventually(async () =>
      expect((await agentRow(bystander.id))?.capacity).toEqual({ maxSessions: 10, runningSessions: 3 }),
    )
    expect(calm.ws.readyState).toBe(WebSocket.OPEN)
    await calm.close()
  })

  test("heartbeats record capacity and time; a silent agent is closed and goes offline with an event", async () => {
    const { id, token } = await register("heartbeats")
    const agent = await FakeAgent.online(url, token)
    const before = (await agentRow(id))?.lastHeartbeatAt as string
    await Bun.sleep(20)
    agent.heartbeat([], fakeCapacity(5, 2))
    await eventually(async () => {
      const row = await agentRow(id)
      expect(row?.capacity).toEqual({ maxSessions: 5, runningSessions: 2 })
      expect(Date.parse(row?.lastHeartbeatAt as string)).toBeGreaterThan(Date.parse(before))
    })
    // Now silence: three intervals later the hub gives up on it.
    const closed = await agent.closed
    expect(closed).toEqual({ code: 4001, reason: `no heartbeat for ${3 * HEARTBEAT_MS} ms` })
    await eventually(async () => expect((await agentRow(id))?.status).toBe("offline"))
    expect(await eventsOf(id)).toEqual(["agent.connected", "agent.disconnected"])
  })

  test("a second connection of the same instance replaces the first; the agent stays online", async () => {
    const { id, token } = await register("replaced")
    const first = await FakeAgent.online(url, token)
    const second = await FakeAgent.online(url, token)
    expect(await first.closed).toEqual({ code: 4000, reason: "replaced by a newer connection of the same agent instance" })
    second.heartbeat()
    await core.hub?.settled()
    expect((await agentRow(id))?.status).toBe("online")
    expect(await eventsOf(id)).toEqual(["agent.connected"])
    await second.close()
  })

  test("an agent recorded online with no connection and no recent heartbeat is marked offline", async () => {
    const { id } = await register("ghost")
    await core.db.sql`update agents set status = 'online', last_heartbeat_at = now() - interval '1 hour' where id = ${id}`
    await eventually(async () => expect((await agentRow(id))?.status).toBe("offline"))
    expect(await eventsOf(id)).toEqual(["agent.disconnected"])
  })
})
