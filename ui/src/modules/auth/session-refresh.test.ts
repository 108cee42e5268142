import { describe, expect, test } from "vitest"
import { refreshDelayMs } from "./session-refresh.ts"

describe("when a cookie sign-in refreshes its access token", () => {
  test("a minute before a normal token expires, a tenth of the lifetime before a short one", () => {
    expect(refreshDelayMs(900)).toBe(840_000)
    expect(refreshDelayMs(120)).toBe(108_000)
  })

  test("never sooner than five seconds, so a clock or config mistake cannot loop", () => {
    expect(refreshDelayMs(1)).toBe(5_000)
    expect(refreshDelayMs(0)).toBe(5_000)
  })
})
