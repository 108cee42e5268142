// What the sessions feature needs from others, as interfaces: the scheduler (agents) and policy (plugins).
import type { Resources, Session, Template } from "@streamspace/schemas"
import type { Principal } from "../identity/principal.ts"

/**
 * Hands sessions to agents. Each call follows a state change the API has already recorded; the
 * scheduler carries it out and moves the session on. Absent when no agent hub runs: sessions then
 * stay pending.
 */
export interface SessionScheduler {
  sessionCreated(session: Session): void
  sessionStopping(session: Session): void
  sessionHibernating(session: Session): void
  sessionWaking(session: Session): void
}

/** Decides whether a session may be created; throws an AppError to deny (e.g. quota exceeded). */
export interface SessionPolicy {
  beforeCreate(user: Principal, request: { template: Template; resources: Resources }): Promise<void>
}
