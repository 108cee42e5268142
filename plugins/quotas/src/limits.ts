// The quota policy: which limits apply to a user (user, then role, then defaults) and whether a launch fits them.
import type { HookUser, Resources, SessionBeforeCreateOutput, SessionUsage } from "@streamspace/schemas"

/** A limit left out falls back to the next level; null means no limit. */
export interface Limits {
  sessions?: number | null
  cpu?: number | null
  memory?: number | null
}

export interface QuotaConfig {
  defaults?: Limits
  roles?: Partial<Record<HookUser["role"], Limits>>
  /** By username or user id. */
  users?: Record<string, Limits>
}

/** The same defaults as the manifest's configSchema: the core fills them in, the SDK's harness does not. */
export const DEFAULT_LIMITS: Required<Limits> = { sessions: 2, cpu: 4, memory: 8192 }

const KINDS = ["sessions", "cpu", "memory"] as const

export function limitsFor(config: QuotaConfig, user: HookUser): Required<Limits> {
  const levels = [
    config.users?.[user.id] ?? config.users?.[user.username],
    config.roles?.[user.role],
    config.defaults,
    DEFAULT_LIMITS,
  ]
  const pick = (kind: (typeof KINDS)[number]) => {
    for (const level of levels) {
      const value = level?.[kind]
      if (value !== undefined) return value
    }
    return null
  }
  return { sessions: pick("sessions"), cpu: pick("cpu"), memory: pick("memory") }
}

/** Trims float noise from summed CPU shares (0.1 + 0.2) without hiding real fractions. */
const cores = (n: number) => String(Math.round(n * 1000) / 1000)

/** Allows the launch, or refuses it naming the first limit it would pass and the usage so far. */
export function decide(limits: Required<Limits>, usage: SessionUsage, wanted: Resources): SessionBeforeCreateOutput {
  const refuse = (reason: string): SessionBeforeCreateOutput => ({ allow: false, code: "QUOTA_EXCEEDED", reason })
  if (limits.sessions !== null && usage.active + 1 > limits.sessions)
    return refuse(`You already use ${usage.active} of ${limits.sessions} running sessions. Stop a session and try again.`)
  if (limits.cpu !== null && usage.cpu + wanted.cpu > limits.cpu)
    return refuse(
      `This session needs ${cores(wanted.cpu)} CPU cores and you already use ${cores(usage.cpu)} of ${cores(limits.cpu)}. Stop a session and try again.`,
    )
  if (limits.memory !== null && usage.memory + wanted.memory > limits.memory)
    return refuse(
      `This session needs ${wanted.memory} MiB of memory and you already use ${usage.memory} of ${limits.memory} MiB. Stop a session and try again.`,
    )
  return { allow: true }
}
