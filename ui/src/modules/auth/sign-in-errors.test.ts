import { describe, expect, test } from "vitest"
import { ApiError } from "@/api/problem.ts"
import { signInErrorTitle, ssoError, waitHint } from "./sign-in-errors.ts"

describe("sign-in refusals as people read them", () => {
  test("lockout and rate limits get their own heading; the server's detail stays the message", () => {
    expect(signInErrorTitle(new ApiError(429, "ACCOUNT_LOCKED", "locked"))).toBe("Account locked for now")
    expect(signInErrorTitle(new ApiError(429, "RATE_LIMITED", "slow down"))).toBe("Too many attempts")
    expect(signInErrorTitle(new ApiError(401, "INVALID_CREDENTIALS", "wrong"))).toBe("Could not sign in")
    expect(signInErrorTitle(null)).toBeUndefined()
  })

  test("an OIDC error code from the URL shows our words, and an unknown code a generic failure", () => {
    expect(ssoError("OIDC_GROUP_REQUIRED")?.message).toContain("not in a group allowed")
    const forged = ssoError("Call 555-0100 to unlock your account")
    expect(forged?.code).toBe("OIDC_FAILED")
    expect(forged?.message).not.toContain("555")
    expect(ssoError("toString")?.code).toBe("OIDC_FAILED")
    expect(ssoError(undefined)).toBeNull()
    expect(ssoError("")).toBeNull()
  })

  test("a lockout's Retry-After becomes how long to wait, in words", () => {
    const locked = (seconds?: number) =>
      Object.assign(new ApiError(429, "ACCOUNT_LOCKED", "locked"), { retryAfterSeconds: seconds })
    expect(waitHint(locked(900))).toBe("Try again in about 15 minutes.")
    expect(waitHint(locked(61))).toBe("Try again in about 2 minutes.")
    expect(waitHint(locked(60))).toBe("Try again in about 1 minute.")
    expect(waitHint(locked(12))).toBe("Try again in 12 seconds.")
    expect(waitHint(locked(undefined))).toBeNull()
    expect(waitHint(Object.assign(new ApiError(401, "INVALID_CREDENTIALS", "wrong"), { retryAfterSeconds: 5 }))).toBeNull()
  })
})
