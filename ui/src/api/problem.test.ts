import { describe, expect, test } from "vitest"
import { ApiError, apiErrorOf, asApiError, fieldKey, networkError } from "./problem.ts"

describe("turning API failures into readable errors", () => {
  test("a problem+json answer keeps its detail, code, request id and field errors", () => {
    const e = apiErrorOf(422, {
      type: "https://streamspace.dev/problems/validation-failed",
      title: "Invalid request",
      status: 422,
      detail: "/username: Expected string to match pattern",
      code: "VALIDATION_FAILED",
      requestId: "req-1",
      errors: [
        { field: "/username", message: "must be lower-case" },
        { field: "/resources/cpu", message: "must be at most 64" },
      ],
    })
    expect(e).toBeInstanceOf(ApiError)
    expect(e.message).toBe("/username: Expected string to match pattern")
    expect(e.code).toBe("VALIDATION_FAILED")
    expect(e.requestId).toBe("req-1")
    expect(e.field("username")).toBe("must be lower-case")
    expect(e.field("resources/cpu")).toBe("must be at most 64")
  })

  test("a field lookup also finds an error inside that field", () => {
    const e = apiErrorOf(422, {
      detail: "bad env",
      code: "VALIDATION_FAILED",
      errors: [{ field: "/env/BAD KEY", message: "bad name" }],
    })
    expect(e.field("env")).toBe("BAD KEY: bad name")
    expect(e.field("image")).toBeUndefined()
  })

  test("two errors on one field are both kept", () => {
    const e = apiErrorOf(422, {
      detail: "x",
      code: "VALIDATION_FAILED",
      errors: [
        { field: "/name", message: "too short" },
        { field: "/name", message: "bad characters" },
      ],
    })
    expect(e.field("name")).toBe("too short; bad characters")
  })

  test("query and root field paths get plain keys", () => {
    expect(fieldKey("/username")).toBe("username")
    expect(fieldKey("query:/limit")).toBe("query:limit")
    expect(fieldKey("/")).toBe("")
  })

  test("a short plain-text answer is shown as it is; an HTML error page is replaced by a sentence", () => {
    expect(apiErrorOf(409, "Template in use").message).toBe("Template in use")
    const proxy = apiErrorOf(502, "<html><body>Bad gateway</body></html>")
    expect(proxy.message).toContain("could not complete the request (HTTP 502)")
    expect(proxy.code).toBe("HTTP_502")
  })

  test("statuses without a body get a sentence that says what to do", () => {
    expect(apiErrorOf(401, "").message).toBe("Your sign-in is no longer valid. Sign in again.")
    expect(apiErrorOf(403, null).message).toBe("You are not allowed to do that.")
  })

  test("no answer at all is a network error with status 0", () => {
    const e = networkError()
    expect(e.status).toBe(0)
    expect(e.message).toContain("Cannot reach the control plane")
  })

  test("any thrown value becomes an ApiError", () => {
    expect(asApiError(new Error("boom")).message).toBe("boom")
    const same = apiErrorOf(404, { detail: "gone", code: "NOT_FOUND" })
    expect(asApiError(same)).toBe(same)
  })
})
