// The hibernation policy's decisions, as plain functions (the real runtime and core are in core's hibernation test).
import { describe, expect, test } from "bun:test"
import type { SessionActivity } from "@streamspace/schemas"
import { nextStep, policyFor, type Warning } from "./policy.ts"

const T0 = Date.parse("2026-01-01T10:00:00.000Z")
const min = 60_000
const activity = (lastInputMinutesAgo: number | null, now: number): SessionActivity => ({
  sessionId: "5e0d7a1c-1111-4a2b-8c3d-000000000001",
  userId: "0b7c2a8e-4f51-4d3a-9c8e-000000000001",
  templateId: null,
  templateName: "xterm",
  startedAt: new Date(T0).toISOString(),
  runningSince: new Date(T0).toISOString(),
  lastInputAt: lastInputMinutesAgo === null ? null : new Date(now - lastInputMinutesAgo * min).toISOString(),
})
const policy = policyFor({ idleMinutes: 10, warningSeconds: 60 }, "xterm")

describe("the hibernation policy", () => {
  test("template overrides win over the top level, which wins over the defaults", () => {
    const config = { idleMinutes: 10, templates: { firefox: { idleMinutes: 5, action: "stop" as const } } }
    expect(policyFor(config, "firefox")).toEqual({ idleMinutes: 5, action: "stop", warningSeconds: 60, maxSessionHours: null })
    expect(policyFor(config, "xterm")).toEqual({
      idleMinutes: 10,
      action: "hibernate",
      warningSeconds: 60,
      maxSessionHours: null,
    })
  })

  test("a recently used session is left alone", () => {
    const now = T0 + 30 * min
    expect(nextStep(now, activity(2, now), policy, null)).toEqual({ kind: "none" })
  })

  test("an idle session is warned a minute before, with the deadline, then acted on at the deadline", () => {
    const now = T0 + 9.5 * min // never used: idle since it started running
    const step = nextStep(now, activity(null, now), policy, null)
    expect(step).toMatchObject({ kind: "warn", warning: { action: "hibernate", deadline: now + min, cause: "idle" } })
    const warning = (step as { warning: Warning }).warning
    expect(nextStep(now + 30_000, activity(null, now + 30_000), policy, warning)).toEqual({ kind: "none" })
    expect(nextStep(now + min, activity(null, now + min), policy, warning)).toMatchObject({ kind: "act", action: "hibernate" })
  })

  test("input after the warning withdraws it", () => {
    const warnedAt = T0 + 9.5 * min
    const warning: Warning = { action: "hibernate", deadline: warnedAt + min, warnedAt, cause: "idle" }
    const now = warnedAt + 20_000
    expect(nextStep(now, activity(0.1, now), policy, warning)).toEqual({ kind: "clear" })
  })

  test("the maximum session length applies even with input, and no input cancels it", () => {
    const capped = policyFor({ idleMinutes: null, maxSessionHours: 1, warningSeconds: 0, action: "stop" }, "xterm")
    const now = T0 + 61 * min
    expect(nextStep(now, activity(0, now), capped, null)).toMatchObject({ kind: "act", action: "stop" })
    const warning: Warning = { action: "stop", deadline: now, warnedAt: now - min, cause: "maxHours" }
    expect(nextStep(now, activity(0, now), capped, warning)).toMatchObject({ kind: "act" })
  })
})
