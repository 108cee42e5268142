import { describe, expect, test } from "vitest"
import { cellText, splitSecrets, tableOf } from "./action-result.ts"
import { actionsUnavailable } from "./actions.ts"

describe("a plugin action's result for people", () => {
  test("a one-time secret is taken out of the result to be shown apart", () => {
    const { secrets, rest } = splitSecrets({ id: "ep_1", secret: "whsec_abc", previousSecretValidUntil: "2030-01-01" })
    expect(secrets).toEqual([{ key: "secret", label: "secret", value: "whsec_abc" }])
    expect(rest).toEqual({ id: "ep_1", previousSecretValidUntil: "2030-01-01" })
    expect(splitSecrets([{ secret: "x" }]).secrets).toEqual([])
  })

  test("a list of objects becomes rows under the union of their keys; other values do not", () => {
    expect(tableOf([{ id: 1 }, { id: 2, url: "u" }])).toEqual({ columns: ["id", "url"], rows: [{ id: 1 }, { id: 2, url: "u" }] })
    expect(tableOf([])).toBeNull()
    expect(tableOf([1, 2])).toBeNull()
    expect(tableOf({ id: 1 })).toBeNull()
  })

  test("cells: lists of scalars joined, structures as compact JSON, null as a dash", () => {
    expect(cellText(["session.*", "user.created"])).toBe("session.*, user.created")
    expect(cellText([{ at: 1 }])).toBe('[{"at":1}]')
    expect(cellText(null)).toBe("—")
    expect(cellText(false)).toBe("false")
  })
})

describe("when a plugin's actions can run", () => {
  test("only a running, enabled install runs them; otherwise the reason says what to do", () => {
    expect(actionsUnavailable({ enabled: true, status: "running" })).toBeNull()
    expect(actionsUnavailable({ enabled: false, status: "stopped" })).toContain("enable it")
    expect(actionsUnavailable({ enabled: true, status: "stopped" })).toContain("runtime is off")
    expect(actionsUnavailable({ enabled: true, status: "failed" })).toContain("last error")
  })
})
