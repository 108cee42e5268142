import type { Session, SessionState } from "@streamspace/schemas"
import { describe, expect, test } from "vitest"
import { sessionsPerHour, windowStart } from "./activity.ts"

const HOUR = 3_600_000
// 12:30 on some day: the current hour started 30 minutes ago.
const now = Date.UTC(2026, 0, 15, 12, 30)

function session(createdAt: number, state: SessionState, stoppedAt: number | null = null): Session {
  const iso = (ms: number) => new Date(ms).toISOString()
  return {
    id: crypto.randomUUID(),
    userId: crypto.randomUUID(),
    templateId: null,
    templateName: "desktop",
    state,
    reason: null,
    agentId: null,
    resources: { cpu: 1, memory: 1024 },
    createdAt: iso(createdAt),
    updatedAt: iso(stoppedAt ?? createdAt),
    startedAt: null,
    stoppedAt: stoppedAt === null ? null : iso(stoppedAt),
    lastActivityAt: null,
  }
}

describe("sessions per hour over the last day", () => {
  test("there are 24 hourly buckets ending with the current hour", () => {
    const buckets = sessionsPerHour([], now)
    expect(buckets).toHaveLength(24)
    expect(buckets.at(-1)?.start).toBe(Date.UTC(2026, 0, 15, 12))
    expect(buckets[0]?.start).toBe(Date.UTC(2026, 0, 14, 13))
    expect(windowStart(now)).toBe(buckets[0]?.start)
  })

  test("a live session counts as active in every hour since its launch, and as launched once", () => {
    const buckets = sessionsPerHour([session(now - 2 * HOUR, "running")], now)
    expect(buckets.slice(-3).map((b) => b.active)).toEqual([1, 1, 1])
    expect(buckets.at(-4)?.active).toBe(0)
    expect(buckets.reduce((n, b) => n + b.launched, 0)).toBe(1)
    expect(buckets.at(-3)?.launched).toBe(1)
  })

  test("a stopped session stops counting after the hour it ended in", () => {
    const start = Date.UTC(2026, 0, 15, 8, 10)
    const buckets = sessionsPerHour([session(start, "stopped", Date.UTC(2026, 0, 15, 9, 50))], now)
    const byHour = new Map(buckets.map((b) => [new Date(b.start).getUTCHours(), b.active]))
    expect([byHour.get(7), byHour.get(8), byHour.get(9), byHour.get(10)]).toEqual([0, 1, 1, 0])
  })

  test("a session that ended exactly on the hour is not active in the next one", () => {
    const buckets = sessionsPerHour([session(Date.UTC(2026, 0, 15, 9, 0), "stopped", Date.UTC(2026, 0, 15, 10, 0))], now)
    const byHour = new Map(buckets.map((b) => [new Date(b.start).getUTCHours(), b.active]))
    expect([byHour.get(9), byHour.get(10)]).toEqual([1, 0])
  })

  test("a failed session without a stop time ends when it was last updated", () => {
    const failed = {
      ...session(Date.UTC(2026, 0, 15, 5, 5), "failed"),
      updatedAt: new Date(Date.UTC(2026, 0, 15, 6, 20)).toISOString(),
    }
    const byHour = new Map(sessionsPerHour([failed], now).map((b) => [new Date(b.start).getUTCHours(), b.active]))
    expect([byHour.get(5), byHour.get(6), byHour.get(7)]).toEqual([1, 1, 0])
  })

  test("a session launched before the window but still running fills the whole window without being counted as launched", () => {
    const buckets = sessionsPerHour([session(now - 30 * HOUR, "running")], now)
    expect(buckets.every((b) => b.active === 1)).toBe(true)
    expect(buckets.every((b) => b.launched === 0)).toBe(true)
  })
})
