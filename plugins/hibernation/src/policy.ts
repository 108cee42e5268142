// The hibernation policy as plain functions: which settings apply to a session, and what to do with it now.
import type { SessionActivity } from "@streamspace/schemas"

export type Action = "hibernate" | "stop"

export interface HibernationPolicy {
  /** Minutes without viewer input before the action; null: never for being idle. */
  idleMinutes: number | null
  action: Action
  /** How long viewers are warned before the action (0: no warning). */
  warningSeconds: number
  /** Hours a session may run in all, input or not; null: no limit. */
  maxSessionHours: number | null
}

export interface HibernationConfig extends Partial<HibernationPolicy> {
  /** Overrides by template name; a setting left out falls back to the top level. */
  templates?: Record<string, Partial<HibernationPolicy>>
}

export const DEFAULTS: HibernationPolicy = { idleMinutes: 30, action: "hibernate", warningSeconds: 60, maxSessionHours: null }

export function policyFor(config: HibernationConfig, templateName: string): HibernationPolicy {
  const pick = <K extends keyof HibernationPolicy>(key: K): HibernationPolicy[K] =>
    config.templates?.[templateName]?.[key] ?? config[key] ?? DEFAULTS[key]
  return {
    idleMinutes: pick("idleMinutes"),
    action: pick("action"),
    warningSeconds: pick("warningSeconds"),
    maxSessionHours: pick("maxSessionHours"),
  }
}

/** A warning given to a session's viewers, kept until it is acted on or withdrawn. */
export interface Warning {
  action: Action
  deadline: number
  warnedAt: number
  cause: "idle" | "maxHours"
}

export type Step =
  | { kind: "none" }
  | { kind: "warn"; warning: Warning; reason: string }
  | { kind: "clear" }
  | { kind: "act"; action: Action; reason: string }

const reasonOf = (cause: Warning["cause"], p: HibernationPolicy) =>
  cause === "idle" ? `no input for ${p.idleMinutes} minutes` : `the session reached its limit of ${p.maxSessionHours} hours`

export function nextStep(now: number, s: SessionActivity, p: HibernationPolicy, warned: Warning | null): Step {
  const runningSince = Date.parse(s.runningSince)
  const activeAt = Math.max(runningSince, s.lastInputAt === null ? 0 : Date.parse(s.lastInputAt))
  if (warned !== null) {
    // Any input after the warning cancels an idle warning; a time limit cannot be talked out of.
    if (warned.cause === "idle" && activeAt > warned.warnedAt) return { kind: "clear" }
    if (now >= warned.deadline) return { kind: "act", action: warned.action, reason: reasonOf(warned.cause, p) }
    return { kind: "none" }
  }
  const due: { at: number; cause: Warning["cause"] }[] = []
  if (p.idleMinutes !== null) due.push({ at: activeAt + p.idleMinutes * 60_000, cause: "idle" })
  if (p.maxSessionHours !== null) due.push({ at: Date.parse(s.startedAt) + p.maxSessionHours * 3_600_000, cause: "maxHours" })
  const first = due.sort((a, b) => a.at - b.at)[0]
  if (first === undefined) return { kind: "none" }
  const warningMs = p.warningSeconds * 1000
  if (now < first.at - warningMs) return { kind: "none" }
  if (warningMs === 0) return { kind: "act", action: p.action, reason: reasonOf(first.cause, p) }
  // Viewers get the whole warning even when the tick came late.
  const warning = { action: p.action, deadline: Math.max(first.at, now + warningMs), warnedAt: now, cause: first.cause }
  return { kind: "warn", warning, reason: reasonOf(first.cause, p) }
}
