import { afterAll, describe, expect, test } from "bun:test"
import { createLogger } from "../../infra/log.ts"
import type { RedisLink } from "../../infra/redis.ts"
import { eventually } from "../../testing/eventually.ts"
import { testRedis } from "../../testing/test-redis.ts"
import { type AgentPresence, type AgentRegistry, createMemoryAgentRegistry } from "./registry.ts"
import { createRedisAgentRegistry } from "./registry-redis.ts"
import { createReplicaSet } from "./replicas.ts"

const log = createLogger("silent")
const links: RedisLink[] = []
const closers: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const close of closers.reverse()) await close()
  for (const link of links) await link.close()
})

const presence = (over: Partial<AgentPresence> = {}): AgentPresence => ({
  agentId: crypto.randomUUID(),
  name: "docker-a",
  instanceId: "i-1",
  connectionId: crypto.randomUUID(),
  replicaId: "replica-1",
  platform: "docker",
  cluster: "default",
  leader: true,
  fencingToken: null,
  capacity: { maxSessions: 10, runningSessions: 0 },
  connectedAt: 1_000,
  lastSeenAt: 1_000,
  ...over,
})

/** One replica's registry on Redis, with its liveness key announced like a running replica's. */
async function redisReplica(link: RedisLink, replicaId: string, ttlMs = 3_000) {
  const replicas = createReplicaSet({ redis: link, replicaId, url: () => "http://127.0.0.1:1", ttlMs, log })
  await replicas.start()
  const registry = createRedisAgentRegistry({
    redis: link,
    replicaId,
    aliveReplicas: (ids) => replicas.alive(ids),
    ttlMs,
    heartbeatTtlMs: 15_000,
    log,
  })
  const close = async () => {
    await registry.close()
    await replicas.close()
  }
  closers.push(close)
  return { registry, replicas, close }
}

const backends: [string, () => Promise<AgentRegistry>][] = [
  ["in memory", async () => createMemoryAgentRegistry()],
  [
    "in Redis",
    async () => {
      const link = await testRedis()
      links.push(link)
      return (await redisReplica(link, "replica-1")).registry
    },
  ],
]

describe.each(backends)("the agent registry %s", (_name, make) => {
  test("a connection put in is listed and found by agent, with its replica", async () => {
    const registry = await make()
    const p = presence()
    await registry.put(p)
    expect(await registry.instances(p.agentId)).toEqual([p])
    expect((await registry.list()).find((x) => x.agentId === p.agentId)).toEqual(p)
  })

  test("a heartbeat moves the time and capacity only for the connection that holds the entry", async () => {
    const registry = await make()
    const p = presence()
    await registry.put(p)
    await registry.touch(p.agentId, crypto.randomUUID(), { lastSeenAt: 9_999, leader: false })
    expect(await registry.instances(p.agentId)).toEqual([p])
    await registry.touch(p.agentId, p.connectionId, { lastSeenAt: 2_000, capacity: { maxSessions: 10, runningSessions: 3 } })
    const [now] = await registry.instances(p.agentId)
    expect(now?.lastSeenAt).toBe(2_000)
    expect(now?.capacity.runningSessions).toBe(3)
    await registry.touch(p.agentId, p.connectionId, { leader: false })
    expect((await registry.instances(p.agentId))[0]?.leader).toBe(false)
  })

  test("removing an old connection of an instance leaves its newer connection in place", async () => {
    const registry = await make()
    const old = presence()
    const newer = presence({ agentId: old.agentId, connectedAt: 2_000, lastSeenAt: 2_000 })
    await registry.put(old)
    await registry.put(newer)
    await registry.remove(old.agentId, old.connectionId)
    expect(await registry.instances(old.agentId)).toEqual([newer])
    await registry.remove(newer.agentId, newer.connectionId)
    expect(await registry.instances(old.agentId)).toEqual([])
    expect((await registry.list()).some((x) => x.agentId === old.agentId)).toBe(false)
  })

  test("two instances of one agent (leader and follower) are both listed", async () => {
    const registry = await make()
    const leader = presence()
    const follower = presence({ agentId: leader.agentId, instanceId: "i-2", leader: false })
    await registry.put(leader)
    await registry.put(follower)
    const found = await registry.instances(leader.agentId)
    expect(found.map((p) => [p.instanceId, p.leader]).sort()).toEqual([
      ["i-1", true],
      ["i-2", false],
    ])
  })
})

describe("the agent registry in Redis across replicas", () => {
  test("replicas see each other's connections under the DESIGN keys", async () => {
    const link = await testRedis()
    links.push(link)
    const a = await redisReplica(link, "replica-a")
    const b = await redisReplica(link, "replica-b")
    const p = presence({ replicaId: "replica-a", name: "edge-1" })
    await a.registry.put(p)
    expect(await b.registry.instances(p.agentId)).toEqual([p])
    expect(JSON.parse((await link.client.get(`${link.prefix}:agents:docker:edge-1`)) ?? "null")).toMatchObject({
      agentId: p.agentId,
    })
    expect(await link.client.hget(`${link.prefix}:heartbeats:${p.agentId}`, "i-1")).toBe("1000")
    expect(JSON.parse((await link.client.hget(`${link.prefix}:connections:${p.agentId}`, "i-1")) ?? "{}").replicaId).toBe(
      "replica-a",
    )
  })

  test("a replica that stops renewing drops out of every other replica's view within its TTL", async () => {
    const link = await testRedis()
    links.push(link)
    const a = await redisReplica(link, "replica-a", 400)
    const b = await redisReplica(link, "replica-b", 400)
    const p = presence({ replicaId: "replica-a" })
    await a.registry.put(p)
    expect(await b.registry.instances(p.agentId)).toHaveLength(1)
    // As if replica A were killed: nothing renews its key or its entries any more.
    const stoppedAt = Date.now()
    await a.registry.close()
    await link.client.del(`${link.prefix}:replicas:replica-a`)
    await eventually(async () => expect(await b.registry.instances(p.agentId)).toEqual([]), 5_000)
    await eventually(async () => expect(await link.client.exists(`${link.prefix}:connections:${p.agentId}`)).toBe(0), 5_000)
    expect(Date.now() - stoppedAt).toBeLessThan(3_000)
  })

  test("an entry that expired while Redis stalled (no reconnection) is written again by the next renewal", async () => {
    const link = await testRedis()
    links.push(link)
    const a = await redisReplica(link, "replica-a", 300)
    const b = await redisReplica(link, "replica-b", 300)
    const p = presence({ replicaId: "replica-a" })
    await a.registry.put(p)
    await link.client.del(`${link.prefix}:connections:${p.agentId}`)
    expect(await b.registry.instances(p.agentId)).toEqual([])
    await eventually(async () => expect(await b.registry.instances(p.agentId)).toEqual([p]), 5_000)
  })

  test("after Redis lost every key, a replica publishes its connections again", async () => {
    const link = await testRedis()
    links.push(link)
    const a = await redisReplica(link, "replica-a")
    const b = await redisReplica(link, "replica-b")
    const p = presence({ replicaId: "replica-a" })
    await a.registry.put(p)
    const keys = await link.client.keys(`${link.prefix}:*`)
    await link.client.del(...keys)
    expect(await b.registry.instances(p.agentId)).toEqual([])
    await a.replicas.start()
    await (a.registry as ReturnType<typeof createRedisAgentRegistry>).republish()
    expect(await b.registry.instances(p.agentId)).toEqual([p])
  })
})
