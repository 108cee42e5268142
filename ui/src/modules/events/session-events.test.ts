import { describe, expect, test } from "vitest"
import { SESSION_EVENT_TYPES, sessionUpdateOf } from "./session-events.ts"

const me = "11111111-1111-4111-8111-111111111111"
const other = "22222222-2222-4222-8222-222222222222"
const sessionId = "33333333-3333-4333-8333-333333333333"
const event = (type: string, data: Record<string, unknown>) => ({ id: "1", type, at: new Date().toISOString(), data })

describe("live session events in the portal", () => {
  test("a change to my session fetches its row again; a deleted one leaves the list", () => {
    expect(sessionUpdateOf(event("session.started", { sessionId, userId: me }), me)).toEqual({ kind: "refetch", sessionId })
    expect(sessionUpdateOf(event("session.hibernated", { sessionId, userId: me }), me)).toEqual({ kind: "refetch", sessionId })
    expect(sessionUpdateOf(event("session.deleted", { sessionId, userId: me }), me)).toEqual({ kind: "remove", sessionId })
  })

  test("another user's session event concerns what is shared with me", () => {
    expect(sessionUpdateOf(event("session.stopped", { sessionId, userId: other }), me)).toEqual({ kind: "shared", sessionId })
  })

  test("an idle warning carries its action and deadline; its withdrawal says which session", () => {
    const deadline = "2026-11-26T02:00:30.000Z"
    expect(sessionUpdateOf(event("session.idle_warning", { sessionId, userId: me, action: "hibernate", deadline }), me)).toEqual({
      kind: "idle-warning",
      sessionId,
      action: "hibernate",
      deadline: Date.parse(deadline),
    })
    expect(sessionUpdateOf(event("session.idle_warning_cleared", { sessionId, userId: me }), me)).toEqual({
      kind: "idle-cleared",
      sessionId,
    })
  })

  test("events that change no row, or carry no ids, change nothing", () => {
    expect(
      sessionUpdateOf(event("session.idle_warning", { sessionId, userId: me, action: "nap", deadline: "soon" }), me),
    ).toBeNull()
    expect(sessionUpdateOf(event("user.signed_in", { userId: me }), me)).toBeNull()
    expect(sessionUpdateOf(event("session.started", { userId: me }), me)).toBeNull()
  })

  test("the stream listens to every session event type the control plane has", () => {
    expect(SESSION_EVENT_TYPES).toContain("session.started")
    expect(SESSION_EVENT_TYPES).toContain("session.woken")
    expect(SESSION_EVENT_TYPES.every((t) => t.startsWith("session."))).toBe(true)
  })
})
