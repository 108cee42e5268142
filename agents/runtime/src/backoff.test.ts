import { describe, expect, test } from "bun:test"
import { backoffDelay } from "./backoff.ts"

describe("reconnect backoff", () => {
  test("starts near 100 ms, doubles, and stays under the cap", () => {
    const lowest = (n: number) => backoffDelay(n, { initialMs: 100, maxMs: 3_000, random: () => 0 })
    const highest = (n: number) => backoffDelay(n, { initialMs: 100, maxMs: 3_000, random: () => 1 })
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(highest)).toEqual([100, 200, 400, 800, 1600, 3000, 3000, 3000])
    expect([0, 1, 5, 10].map(lowest)).toEqual([50, 100, 1500, 1500])
  })

  test("two agents retrying at once are spread apart by the jitter", () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4)))
    expect(delays.size).toBeGreaterThan(10)
  })
})
