import { describe, expect, test, vi } from "vitest"
import { nextTick } from "vue"
import { ApiError } from "@/api/problem.ts"
import { mountWithVuetify } from "@/testing/mount.ts"
import ProblemAlert from "./ProblemAlert.vue"

const invalid = new ApiError(422, "VALIDATION_FAILED", "Some values are not valid.", [
  { field: "/username", message: "must be lower-case" },
  { field: "/templates/0/image", message: "is required" },
])

describe("ProblemAlert", () => {
  test("nothing is shown without an error", () => {
    const w = mountWithVuetify(ProblemAlert, { error: null })
    expect(w.find("[data-test=problem]").exists()).toBe(false)
  })

  test("the detail is shown, with the field errors that no input shows beside it", () => {
    const w = mountWithVuetify(ProblemAlert, { error: invalid, shownFields: ["username"] })
    const text = w.get("[data-test=problem]").text()
    expect(text).toContain("Please check your input")
    expect(text).toContain("Some values are not valid.")
    expect(text).toContain("templates/0/image: is required")
    expect(text).not.toContain("must be lower-case")
  })

  test("an error inside a field shown beside its input is not repeated", () => {
    const nested = new ApiError(422, "PLUGIN_CONFIG_INVALID", "bad", [
      { field: "/config/defaults/sessions", message: "must be >= 0" },
    ])
    const w = mountWithVuetify(ProblemAlert, { error: nested, shownFields: ["config/defaults"] })
    expect(w.text()).not.toContain("must be >= 0")
  })

  test("field paths can be given readable labels", () => {
    const w = mountWithVuetify(ProblemAlert, {
      error: invalid,
      fieldLabel: (f: string) => f.replace("templates/0", "template 1"),
    })
    expect(w.text()).toContain("template 1/image: is required")
  })

  test("a network error says there is no connection, and offers to try again only when someone listens", async () => {
    const onRetry = vi.fn()
    const offline = new ApiError(0, "NETWORK", "Cannot reach the control plane.")
    const without = mountWithVuetify(ProblemAlert, { error: offline })
    expect(without.text()).toContain("No connection")
    expect(without.findAll("button").some((b) => b.text() === "Try again")).toBe(false)
    const withRetry = mountWithVuetify(ProblemAlert, { error: offline, onRetry })
    const button = withRetry.findAll("button").find((b) => b.text() === "Try again")
    await button?.trigger("click")
    await nextTick()
    expect(onRetry).toHaveBeenCalledOnce()
  })
})
