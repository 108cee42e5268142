// The session state machine's table: complete, closed, and shaped like the lifecycle in DESIGN §3.
import { describe, expect, test } from "bun:test"
import { ACTIVE_STATES, canTransition, isTerminal, SESSION_STATES, SESSION_TRANSITIONS, type SessionState } from "./session.ts"

const pairs = SESSION_STATES.flatMap((from) => SESSION_STATES.map((to) => [from, to] as const))

describe("session state machine", () => {
  test("the table has a row for every state and names only known states", () => {
    expect(Object.keys(SESSION_TRANSITIONS).sort()).toEqual([...SESSION_STATES].sort())
    for (const targets of Object.values(SESSION_TRANSITIONS)) for (const t of targets) expect(SESSION_STATES).toContain(t)
  })

  test("canTransition answers exactly what the table lists", () => {
    for (const [from, to] of pairs) expect(canTransition(from, to)).toBe(SESSION_TRANSITIONS[from].includes(to))
  })

  test("the whole lifecycle is a valid path: launch, hibernate, wake, stop", () => {
    const path: SessionState[] = [
      "pending",
      "starting",
      "running",
      "hibernating",
      "hibernated",
      "waking",
      "running",
      "stopping",
      "stopped",
    ]
    for (let i = 1; i < path.length; i++) expect(canTransition(path[i - 1] as SessionState, path[i] as SessionState)).toBe(true)
  })

  test("every state that holds or awaits a workload can fail", () => {
    for (const s of ACTIVE_STATES) expect(canTransition(s, "failed")).toBe(true)
  })

  test("no state moves to itself, and stopped is final", () => {
    for (const s of SESSION_STATES) expect(canTransition(s, s)).toBe(false)
    expect(SESSION_TRANSITIONS.stopped).toEqual([])
  })

  test("steps that skip a phase are refused", () => {
    const skips: [SessionState, SessionState][] = [
      ["pending", "running"], // an agent must start it first
      ["hibernated", "running"], // it must wake first
      ["running", "hibernated"],
      ["running", "pending"],
      ["stopping", "running"],
      ["failed", "running"],
      ["stopped", "pending"],
    ]
    for (const [from, to] of skips) expect(canTransition(from, to)).toBe(false)
  })

  test("stopped and failed are terminal, all others active", () => {
    expect(SESSION_STATES.filter(isTerminal)).toEqual(["stopped", "failed"])
    expect([...ACTIVE_STATES, "stopped", "failed"].sort()).toEqual([...SESSION_STATES].sort())
  })
})
