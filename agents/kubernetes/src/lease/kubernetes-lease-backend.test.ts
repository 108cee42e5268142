// The Lease backend against a real apiserver with the agent's own RBAC; each candidate's monotonic clock is injected.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { CoordinationV1Api } from "@kubernetes/client-node"
import { type SessionCluster, startSessionCluster } from "../testing/session-cluster.ts"
import { KubernetesLeaseBackend } from "./kubernetes-lease-backend.ts"

let env: SessionCluster
beforeAll(async () => {
  env = await startSessionCluster()
}, 180_000)
afterAll(async () => {
  await env?.stop()
})

const LEASE = "streamspace-agent-kubernetes"

/** Two candidates on a fresh Lease, each with its own clock (ms), both with the agent's service-account token. */
async function candidates() {
  const ns = await env.agentNamespaces()
  const api = env.cluster.kubeConfig(ns.token).makeApiClient(CoordinationV1Api)
  const clock = { a: 0, b: 0 }
  const make = (who: "a" | "b") =>
    new KubernetesLeaseBackend({ api, namespace: ns.agentNamespace, name: LEASE, now: () => clock[who] })
  const read = () => env.admin.coordination.readNamespacedLease({ name: LEASE, namespace: ns.agentNamespace })
  return { a: make("a"), b: make("b"), clock, read }
}

describe("KubernetesLeaseBackend on a real apiserver (injected clocks)", () => {
  test("the first candidate creates the Lease (MicroTime fields, token 1); the other takes it only after the record stood still for the lease duration by ITS clock", async () => {
    const { a, b, clock, read } = await candidates()
    const grant = await a.tryAcquire("a", 3_000)
    expect(grant).toEqual({ fencingToken: 1 })
    const lease = await read()
    expect(lease.spec?.holderIdentity).toBe("a")
    expect(lease.spec?.leaseDurationSeconds).toBe(3)
    expect(lease.spec?.leaseTransitions).toBe(0)
    // MicroTime: microseconds on the wire (a plain Date would have been refused with 400).
    expect(String(lease.spec?.renewTime)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
    expect(lease.spec?.acquireTime).toEqual(lease.spec?.renewTime)

    expect(await b.tryAcquire("b", 3_000)).toBeNull()
    clock.b = 2_999
    expect(await b.tryAcquire("b", 3_000)).toBeNull()
    // a renews: b sees a changed record at 3,500 and starts counting again from there.
    expect(await a.renew("a", grant as { fencingToken: number }, 3_000)).toBe(true)
    clock.b = 3_500
    expect(await b.tryAcquire("b", 3_000)).toBeNull()
    clock.b = 6_499
    expect(await b.tryAcquire("b", 3_000)).toBeNull()
    clock.b = 6_500
    const taken = await b.tryAcquire("b", 3_000)
    expect(taken).toEqual({ fencingToken: 2 })
    expect((await read()).spec).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 })
    // The old holder learns it lost: its renewal fails and writes nothing.
    expect(await a.renew("a", grant as { fencingToken: number }, 3_000)).toBe(false)
    expect((await read()).spec?.holderIdentity).toBe("b")
  })

  test("release empties the holder, so the other candidate takes the Lease at once with a higher token", async () => {
    const { a, b, read } = await candidates()
    const grant = await a.tryAcquire("a", 3_000)
    expect(await b.tryAcquire("b", 3_000)).toBeNull()
    await a.release("a", grant as { fencingToken: number })
    expect((await read()).spec?.holderIdentity).toBe("")
    expect(await b.tryAcquire("b", 3_000)).toEqual({ fencingToken: 2 })
    // Releasing a Lease one does not hold leaves it alone.
    await a.release("a", grant as { fencingToken: number })
    expect((await read()).spec?.holderIdentity).toBe("b")
  })

  test("two candidates racing for a free Lease: exactly one wins (create conflict, then resourceVersion guard)", async () => {
    const { a, b } = await candidates()
    const first = await Promise.all([a.tryAcquire("a", 3_000), b.tryAcquire("b", 3_000)])
    expect(first.filter((g) => g !== null)).toHaveLength(1)
    const { a: c, b: d, read } = await candidates()
    const held = await c.tryAcquire("c", 3_000)
    await c.release("c", held as { fencingToken: number })
    const second = await Promise.all([c.tryAcquire("c", 3_000), d.tryAcquire("d", 3_000)])
    expect(second.filter((g) => g !== null)).toEqual([{ fencingToken: 2 }])
    expect(["c", "d"]).toContain((await read()).spec?.holderIdentity ?? "")
  })
})
