import { expect, test } from "bun:test"
import { type LeaseRecord, LeaseObserver } from "./lease-observer.ts"

const record = (over: Partial<LeaseRecord> = {}): LeaseRecord => ({
  holderIdentity: "agent-a",
  leaseDurationSeconds: 3,
  leaseTransitions: 0,
  renewTime: "2026-01-01T00:00:00.000000Z",
  ...over,
})

test("another holder's lease expires leaseDuration after we first SAW its record, not after its renewTime", () => {
  const o = new LeaseObserver()
  // Its renewTime claims the far past (a skewed clock): irrelevant, only our own observation counts.
  o.observe(record({ renewTime: "1999-01-01T00:00:00.000000Z" }), 10_000)
  expect(o.judge("agent-b", 10_000)).toBe("held")
  expect(o.judge("agent-b", 12_999)).toBe("held")
  expect(o.judge("agent-b", 13_000)).toBe("expired")
})

test("a renewal (any change of the record) restarts the clock; the same record seen again does not", () => {
  const o = new LeaseObserver()
  o.observe(record(), 0)
  o.observe(record(), 2_500)
  expect(o.judge("agent-b", 3_000)).toBe("expired")
  o.observe(record({ renewTime: "2026-01-01T00:00:01.000000Z" }), 3_100)
  expect(o.observedAt).toBe(3_100)
  expect(o.judge("agent-b", 6_000)).toBe("held")
  expect(o.judge("agent-b", 6_100)).toBe("expired")
})

test("a released lease (empty holder) is free at once; a record naming us is ours; nothing observed is free", () => {
  const o = new LeaseObserver()
  expect(o.judge("agent-b", 0)).toBe("free")
  o.observe(record({ holderIdentity: "" }), 0)
  expect(o.judge("agent-b", 1)).toBe("free")
  o.observe(record({ holderIdentity: "agent-b", leaseTransitions: 4 }), 5)
  expect(o.judge("agent-b", 6)).toBe("ours")
})

test("the holder's own leaseDurationSeconds decides, so replicas configured differently agree", () => {
  const o = new LeaseObserver()
  o.observe(record({ leaseDurationSeconds: 10 }), 0)
  expect(o.judge("agent-b", 9_999)).toBe("held")
  expect(o.judge("agent-b", 10_000)).toBe("expired")
})
