import { describe, expect, test } from "vitest"
import { ApiError } from "@/api/problem.ts"
import { afterClose, afterTicketError, backoff, CLOSE, MAX_ATTEMPTS } from "./reconnect.ts"

const low = () => 0
const high = () => 0.999_999

describe("when the viewer reconnects", () => {
  test("the wait doubles from half a second up to a cap, with jitter between half and all of the step", () => {
    expect([1, 2, 3, 4].map((n) => backoff(n, high))).toEqual([500, 1000, 2000, 4000])
    expect(backoff(1, low)).toBe(250)
    expect(backoff(20, high)).toBe(15_000)
    expect(backoff(20, low)).toBe(7_500)
  })

  test("a dropped or refused-for-now stream is tried again", () => {
    for (const code of [CLOSE.abnormal, CLOSE.failed, CLOSE.tryAgain, CLOSE.normal, CLOSE.goingAway])
      expect(afterClose({ code, reason: "" }, 1, high)).toEqual({ retry: true, delayMs: 500 })
  })

  test("a revoked or expired share ends the viewer with the relay's words", () => {
    expect(afterClose({ code: CLOSE.shareRevoked, reason: "Your share of this session was revoked." }, 1)).toEqual({
      retry: false,
      message: "Your share of this session was revoked.",
    })
    expect(afterClose({ code: CLOSE.shareExpired, reason: "" }, 1)).toEqual({
      retry: false,
      message: "Your share of this session ended.",
    })
  })

  test("a stream the relay called malformed is not sent again", () => {
    const verdict = afterClose({ code: CLOSE.malformed, reason: "bad bytes" }, 1)
    expect(verdict.retry).toBe(false)
  })

  test("after the last attempt the viewer stops and says how many it made", () => {
    const verdict = afterClose({ code: CLOSE.abnormal, reason: "" }, MAX_ATTEMPTS)
    expect(verdict).toEqual({ retry: false, message: `The desktop stayed unreachable after ${MAX_ATTEMPTS} attempts.` })
  })

  test("a ticket refused because the session is gone, ended or not the user's is final; a network failure is not", () => {
    expect(afterTicketError(new ApiError(404, "NOT_FOUND", "That session was not found."), 1).retry).toBe(false)
    const ended = afterTicketError(new ApiError(409, "SESSION_NOT_RUNNING", "The session is stopped."), 1)
    expect(ended).toEqual({ retry: false, message: "The session is stopped." })
    expect(afterTicketError(new ApiError(401, "UNAUTHENTICATED", "Sign in."), 1).retry).toBe(false)
    expect(afterTicketError(new ApiError(0, "NETWORK", "offline"), 1, high)).toEqual({ retry: true, delayMs: 500 })
    expect(afterTicketError(new ApiError(503, "UNAVAILABLE", "busy"), 2, high)).toEqual({ retry: true, delayMs: 1000 })
    expect(afterTicketError(new ApiError(503, "UNAVAILABLE", "busy"), MAX_ATTEMPTS).retry).toBe(false)
  })
})
