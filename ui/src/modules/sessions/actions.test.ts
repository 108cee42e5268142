import type { Session, SessionState } from "@streamspace/schemas"
import { SESSION_STATES } from "@streamspace/schemas"
import { describe, expect, test } from "vitest"
import { actionsFor } from "./actions.ts"

const inState = (state: SessionState) => ({ state }) as Session

describe("what a session offers", () => {
  test("an active session can be connected to, shared and stopped, a finished one removed from the list", () => {
    expect(actionsFor(inState("pending")).map((a) => a.id)).toEqual(["connect", "share", "stop"])
    expect(actionsFor(inState("stopped")).map((a) => a.id)).toEqual(["remove"])
    expect(actionsFor(inState("failed")).map((a) => a.id)).toEqual(["remove"])
  })

  test("a running session can be hibernated, a hibernated one woken", () => {
    expect(actionsFor(inState("running")).map((a) => a.id)).toEqual(["connect", "hibernate", "share", "stop"])
    expect(actionsFor(inState("hibernated")).map((a) => a.id)).toEqual(["connect", "wake", "share", "stop"])
  })

  test("while a session changes state it offers no hibernate or wake, and a stopping one offers nothing", () => {
    for (const state of ["starting", "hibernating", "waking"] as const)
      expect(actionsFor(inState(state)).map((a) => a.id)).toEqual(["connect", "share", "stop"])
    expect(actionsFor(inState("stopping"))).toEqual([])
  })

  test("stopping asks first; removing a finished session does not", () => {
    expect(actionsFor(inState("running")).find((a) => a.id === "stop")?.confirm).toContain("home folder")
    expect(actionsFor(inState("stopped"))[0]?.confirm).toBeNull()
  })

  test("every state has an answer", () => {
    for (const state of SESSION_STATES) expect(Array.isArray(actionsFor(inState(state)))).toBe(true)
  })
})
