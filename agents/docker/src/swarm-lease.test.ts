import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { Clock } from "@streamspace/agent-runtime"
import { leaseServiceName, SwarmLease } from "./swarm-lease.ts"
import { startTestSwarm, type TestSwarm } from "./test-swarm.ts"

let swarm: TestSwarm
beforeAll(async () => {
  swarm = await startTestSwarm()
}, 90_000)
afterAll(() => swarm?.stop(), 60_000)

/** Two replicas' views of one lease on a clock the test moves (the lease's expiry is judged on local clocks). */
function pair() {
  let offset = 0
  const clock: Clock = {
    now: () => performance.now() + offset,
    setTimeout: (fn, ms) => setTimeout(fn, ms),
    clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
  }
  const name = `test-${crypto.randomUUID().slice(0, 8)}`
  return {
    a: new SwarmLease(swarm.docker, name, clock),
    b: new SwarmLease(swarm.docker, name, clock),
    later: (ms: number) => {
      offset += ms
    },
    name,
  }
}

describe("swarm lease (a Docker engine of the test's own in Swarm mode)", () => {
  test("one holder at a time; the holder renews; others are refused while it renews", async () => {
    const { a, b, later } = pair()
    const grant = await a.tryAcquire("a", 3_000)
    if (!grant) throw new Error("a did not acquire a free lease")
    expect(await b.tryAcquire("b", 3_000)).toBeNull()
    later(2_000)
    expect(await a.renew("a", grant, 3_000)).toBe(true)
    later(2_000)
    // 4 s since b first looked, but the record changed 2 s ago: still a's.
    expect(await b.tryAcquire("b", 3_000)).toBeNull()
    expect(await b.renew("b", grant, 3_000)).toBe(false)
  })

  test("a lease unchanged for the lease time, as the follower saw it, goes to the follower with a higher token", async () => {
    const { a, b, later } = pair()
    const first = await a.tryAcquire("a", 3_000)
    if (!first) throw new Error("a did not acquire")
    expect(await b.tryAcquire("b", 3_000)).toBeNull()
    later(3_000)
    const second = await b.tryAcquire("b", 3_000)
    if (!second) throw new Error("b did not take the expired lease")
    expect(second.fencingToken).toBeGreaterThan(first.fencingToken)
    expect(await a.renew("a", first, 3_000)).toBe(false)
    await a.release("a", first)
    expect(await b.renew("b", second, 3_000)).toBe(true)
  })

  test("a released lease is free at once; terms keep growing", async () => {
    const { a, b } = pair()
    const first = await a.tryAcquire("a", 3_000)
    if (!first) throw new Error("a did not acquire")
    await a.release("a", first)
    const second = await b.tryAcquire("b", 3_000)
    expect(second?.fencingToken).toBeGreaterThan(first.fencingToken)
  })

  test("two replicas taking a free lease at once: exactly one wins (compare-and-swap on the service version)", async () => {
    const { a, b } = pair()
    await a.tryAcquire("probe", 3_000).then((g) => g && a.release("probe", g))
    const grants = await Promise.all([a.tryAcquire("a", 3_000), b.tryAcquire("b", 3_000)])
    expect(grants.filter((g) => g !== null)).toHaveLength(1)
  })

  test("service names fit Swarm's rules", () => {
    expect(leaseServiceName("docker:default:ha-1")).toBe("streamspace-leader-docker-default-ha-1")
    const long = leaseServiceName(`docker:${"c".repeat(63)}:${"n".repeat(63)}`)
    expect(long.length).toBeLessThanOrEqual(63)
    expect(long).toMatch(/^[a-zA-Z0-9-]+$/)
  })
})
