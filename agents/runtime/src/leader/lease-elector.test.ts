import { describe, expect, test } from "bun:test"
import pino from "pino"
import type { DeposedReason } from "./leader-elector.ts"
import { checkTimings, LeaseElector } from "./lease-elector.ts"
import { MemoryLeaseStore } from "./memory-lease.ts"
import { TestClock } from "./test-clock.ts"

const log = pino({ level: "silent" })
const timings = { leaseMs: 3_000, renewMs: 1_000, retryMs: 500 }

function setup() {
  const clock = new TestClock()
  const store = new MemoryLeaseStore(clock)
  const make = (holder: string) => {
    const elector = new LeaseElector({ backend: store.backend(), holder, log, timings, clock })
    const events: string[] = []
    elector.onElected((t) => events.push(`elected ${t}`))
    elector.onDeposed((r: DeposedReason) => events.push(`deposed ${r}`))
    return { elector, events }
  }
  return { clock, store, make }
}

describe("LeaseElector (in-memory lease store, injected clock)", () => {
  test("the first replica to try leads; the second stays a follower while the leader renews", async () => {
    const { clock, make } = setup()
    const a = make("a")
    const b = make("b")
    a.elector.start()
    await clock.advance(0)
    b.elector.start()
    await clock.advance(20_000)
    expect(a.elector.isLeader).toBe(true)
    expect(a.elector.fencingToken).toBe(1)
    expect(b.elector.isLeader).toBe(false)
    expect(b.elector.fencingToken).toBeNull()
    expect(a.events).toEqual(["elected 1"])
    expect(b.events).toEqual([])
  })

  test("a leader that stops releases the lease and a follower takes over within one retry, with a higher token", async () => {
    const { clock, make } = setup()
    const a = make("a")
    const b = make("b")
    a.elector.start()
    await clock.advance(0)
    b.elector.start()
    await clock.advance(2_000)
    await a.elector.stop()
    expect(a.events).toEqual(["elected 1", "deposed stopped"])
    await clock.advance(timings.retryMs)
    expect(b.elector.isLeader).toBe(true)
    expect(b.elector.fencingToken).toBe(2)
  })

  test("a dead leader (no renewals, no release) is replaced once its lease expires, not before", async () => {
    const { clock, store, make } = setup()
    const b = make("b")
    // A leader that died holding the lease: only the store remembers it.
    store.holder = "dead"
    store.token = 7
    store.expiresAt = clock.now() + timings.leaseMs
    b.elector.start()
    await clock.advance(timings.leaseMs - 1)
    expect(b.elector.isLeader).toBe(false)
    await clock.advance(timings.retryMs + 1)
    expect(b.elector.isLeader).toBe(true)
    expect(b.elector.fencingToken).toBe(8)
  })

  test("a paused leader stops acting the moment it wakes past its lease, before any timer runs", async () => {
    const { clock, make } = setup()
    const a = make("a")
    const b = make("b")
    a.elector.start()
    await clock.advance(0)
    expect(a.elector.isLeader).toBe(true)
    // SIGSTOP: time passes, a's timers do not run... but b's would; model b acting separately below.
    clock.jump(timings.leaseMs + 100)
    expect(a.elector.isLeader).toBe(false)
    expect(a.elector.fencingToken).toBeNull()
    b.elector.start()
    await clock.advance(0)
    expect(b.elector.isLeader).toBe(true)
    expect(a.events).toEqual(["elected 1", "deposed expired"])
    // a wakes fully: its renew is refused, it does not take the lease back while b renews.
    await clock.advance(10_000)
    expect(a.elector.isLeader).toBe(false)
    expect(b.elector.isLeader).toBe(true)
    expect(b.elector.fencingToken).toBe(2)
  })

  test("a leader cut off from the store steps down when its lease runs out locally, then leads again when it returns", async () => {
    const { clock, store, make } = setup()
    const a = make("a")
    a.elector.start()
    await clock.advance(0)
    store.down = true
    await clock.advance(timings.leaseMs - 1)
    expect(a.elector.isLeader).toBe(true)
    await clock.advance(1)
    expect(a.elector.isLeader).toBe(false)
    expect(a.events).toEqual(["elected 1", "deposed expired"])
    store.down = false
    await clock.advance(timings.retryMs)
    expect(a.elector.isLeader).toBe(true)
    expect(a.events).toEqual(["elected 1", "deposed expired", "elected 2"])
  })

  test("a leader whose lease was taken learns it at its next renewal", async () => {
    const { clock, store, make } = setup()
    const a = make("a")
    a.elector.start()
    await clock.advance(0)
    store.holder = "intruder"
    store.token++
    await clock.advance(timings.renewMs)
    expect(a.elector.isLeader).toBe(false)
    expect(a.events).toEqual(["elected 1", "deposed lost"])
  })

  test("a grant that arrives after its own lease ran out is not used", async () => {
    const { clock, store } = setup()
    const slow = store.backend()
    const backend = {
      ...slow,
      tryAcquire: async (holder: string, leaseMs: number) => {
        const grant = await slow.tryAcquire(holder, leaseMs)
        clock.jump(leaseMs + 1)
        return grant
      },
    }
    const elector = new LeaseElector({ backend, holder: "a", log, timings, clock })
    elector.start()
    await clock.advance(0)
    expect(elector.isLeader).toBe(false)
  })

  test("timings are checked", () => {
    expect(checkTimings(timings)).toBeNull()
    expect(checkTimings({ ...timings, renewMs: 3_000 })).toContain("renewMs")
    expect(checkTimings({ ...timings, retryMs: 0 })).toContain("retryMs")
    expect(
      () =>
        new LeaseElector({
          backend: new MemoryLeaseStore(new TestClock()).backend(),
          holder: "a",
          log,
          timings: { leaseMs: 500 },
        }),
    ).toThrow("renewMs")
  })
})

test("resign gives the lease up at once and takes no lease during the hold-off, then competes again (in-memory lease store)", async () => {
  const { clock, store, make } = setup()
  const a = make("a")
  a.elector.start()
  await clock.advance(0)
  await a.elector.resign(5_000)
  expect(a.events).toEqual(["elected 1", "deposed resigned"])
  expect(store.holder).toBeNull()
  await clock.advance(4_999)
  expect(a.elector.isLeader).toBe(false)
  await clock.advance(1)
  expect(a.elector.isLeader).toBe(true)
  expect(a.elector.fencingToken).toBe(2)
})
