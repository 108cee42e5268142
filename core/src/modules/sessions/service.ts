// Session lifecycle as the API sees it. Agents move sessions along through `transition`.
import {
  canTransition,
  isTerminal,
  SESSION_STATES,
  type CreateSession,
  type IdleWarning,
  type Session,
  type SessionQuery,
  type SessionState,
} from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { Forbidden, InvalidTransition, NotFound, ServiceUnavailable } from "../../http/errors.ts"
import { appendEvent, type EventType } from "../events/outbox.ts"
import { hasRole, type Principal } from "../identity/principal.ts"
import { getTemplate } from "../templates/service.ts"
import { listCacheOf } from "./list-cache.ts"
import * as repo from "./repo.ts"

/** Every state a session can move to has its event: the portal and plugins follow sessions through them. */
const EVENT_OF: Record<Exclude<SessionState, "pending">, EventType> = {
  starting: "session.starting",
  running: "session.started",
  stopping: "session.stopping",
  stopped: "session.stopped",
  hibernating: "session.hibernating",
  hibernated: "session.hibernated",
  waking: "session.waking",
  failed: "session.failed",
}

export async function createSession(deps: CoreDeps, user: Principal, input: CreateSession): Promise<Session> {
  const template = await getTemplate(deps, user, input.templateId)
  const resources = { ...template.resources, ...input.resources }
  // Asking for more than the template offers is an operator's call, not a user's.
  if (!hasRole(user, "operator")) {
    if (resources.cpu > template.resources.cpu || resources.memory > template.resources.memory)
      throw new Forbidden(
        `This template offers at most ${template.resources.cpu} CPU and ${template.resources.memory} MiB; ask an operator for more.`,
      )
  }
  await deps.sessionPolicy?.beforeCreate(user, { template, resources })
  const session = await repo.insertSession(deps.sql, {
    userId: user.id,
    templateId: template.id,
    templateName: template.name,
    resources,
  })
  listCacheOf(deps.sql).forget()
  deps.scheduler?.sessionCreated(session)
  return session
}

/** Owners and admins see a session; everyone else gets 404 so ids reveal nothing. */
export async function getSession(deps: CoreDeps, viewer: Principal, id: string): Promise<Session> {
  const s = await repo.findSession(deps.sql, id)
  if (!s || (s.userId !== viewer.id && !hasRole(viewer, "admin"))) throw new NotFound("That session")
  return s
}

/** The page as JSON text, built from the repo's columns, which are exactly the Session shape's fields. */
export function listSessionsJson(deps: CoreDeps, viewer: Principal, q: SessionQuery): Promise<string> {
  const query = { ...q, ownerId: q.all && hasRole(viewer, "admin") ? null : viewer.id }
  const key = `${query.ownerId}|${q.userId}|${q.state}|${q.limit}|${q.offset}`
  return listCacheOf(deps.sql).read(key, () => repo.listSessions(deps.sql, query))
}

/**
 * DELETE stops an active session (the agent removes its workload) and removes a finished one
 * from the history.
 */
export async function deleteSession(deps: CoreDeps, viewer: Principal, id: string): Promise<Session | null> {
  const s = await getSession(deps, viewer, id)
  if (isTerminal(s.state)) {
    await deps.sql.begin(async (tx) => {
      await repo.deleteSessionRow(tx, id)
      await appendEvent(tx, "session.deleted", { sessionId: id, userId: s.userId })
    })
    listCacheOf(deps.sql).forget()
    return null
  }
  return stop(deps, s, "stopped by user")
}

/** Stops an active session for a caller that has checked access itself (a plugin granted sessions: write). */
export async function stop(deps: CoreDeps, s: Session, reason: string): Promise<Session> {
  const id = s.id
  if (!deps.scheduler) return transition(deps, id, "stopped", { reason })
  // Not placed on an agent yet: nothing runs anywhere, so the session ends here. If the scheduler
  // placed it meanwhile, the compare-and-set misses and the agent is asked to stop it below.
  if (!s.agentId) {
    const ended = await transitionFrom(deps, id, ["pending"], "stopped", { reason })
    if (ended) return ended
  }
  const stopping = await transition(deps, id, "stopping", { reason })
  deps.scheduler.sessionStopping(stopping)
  return stopping
}

/** Hibernate releases a running session's compute and keeps its workload for a fast wake. */
export async function hibernateSession(deps: CoreDeps, viewer: Principal, id: string): Promise<Session> {
  await getSession(deps, viewer, id)
  return hibernate(deps, id)
}

/** Hibernates for a caller that has checked access itself (a plugin granted sessions: write). */
export async function hibernate(deps: CoreDeps, id: string, reason?: string): Promise<Session> {
  const scheduler = requireScheduler(deps, "hibernated")
  const hibernating = await transition(deps, id, "hibernating", reason ? { reason } : {})
  scheduler.sessionHibernating(hibernating)
  return hibernating
}

export async function wakeSession(deps: CoreDeps, viewer: Principal, id: string): Promise<Session> {
  requireScheduler(deps, "woken")
  await getSession(deps, viewer, id)
  return wake(deps, id)
}

/** Wakes a hibernated session for a caller that has checked access itself (the VNC relay, by ticket). */
export async function wake(deps: CoreDeps, id: string): Promise<Session> {
  const scheduler = requireScheduler(deps, "woken")
  const waking = await transition(deps, id, "waking")
  scheduler.sessionWaking(waking)
  return waking
}

function requireScheduler(deps: CoreDeps, verb: string) {
  if (!deps.scheduler) throw new ServiceUnavailable(`Sessions cannot be ${verb} here: this control plane runs no agent hub.`)
  return deps.scheduler
}

/** The one way a session changes state: validated by the state machine, event in the same transaction. */
export async function transition(
  deps: CoreDeps,
  id: string,
  to: SessionState,
  fields: { reason?: string | null; agentId?: string | null } = {},
): Promise<Session> {
  const allowedFrom = SESSION_STATES.filter((from) => canTransition(from, to))
  const updated = await transitionFrom(deps, id, allowedFrom, to, fields)
  if (updated) return updated
  const current = await repo.findSession(deps.sql, id)
  if (!current) throw new NotFound("That session")
  throw new InvalidTransition(current.state, to)
}

/**
 * One statement where it can be (no BEGIN/COMMIT round trips: launches run several transitions in a
 * row). Running after waking is a wake, not a start: telling which needs the state before, read
 * under a lock in a transaction.
 */
async function changeState(
  deps: CoreDeps,
  id: string,
  allowedFrom: readonly SessionState[],
  to: SessionState,
  fields: { reason?: string | null; agentId?: string | null },
): Promise<Session | null> {
  if (to === "running" && allowedFrom.includes("waking"))
    return deps.sql.begin(async (tx) => {
      const woken = (await repo.lockState(tx, id)) === "waking"
      const row = await repo.setState(tx, id, allowedFrom, to, fields)
      const event = woken ? "session.woken" : EVENT_OF.running
      if (row) await appendEvent(tx, event, { sessionId: id, userId: row.userId, agentId: row.agentId, reason: row.reason })
      return row
    })
  // `pending` is where sessions begin (session.created): no transition leads back to it.
  if (to === "pending") return repo.setState(deps.sql, id, allowedFrom, to, fields)
  return repo.setStateWithEvent(deps.sql, id, allowedFrom, to, fields, EVENT_OF[to])
}

/**
 * Compare-and-set for callers that know which state they expect (agents' reports, command
 * outcomes): moves only from one of `from`, and answers null instead of throwing otherwise.
 */
export async function transitionFrom(
  deps: CoreDeps,
  id: string,
  from: readonly SessionState[],
  to: SessionState,
  fields: { reason?: string | null; agentId?: string | null } = {},
): Promise<Session | null> {
  const allowedFrom = from.filter((f) => canTransition(f, to))
  const updated = await changeState(deps, id, allowedFrom, to, fields)
  if (updated) listCacheOf(deps.sql).forget()
  return updated
}

export const findSession = (deps: CoreDeps, id: string) => repo.findSession(deps.sql, id)
export const countActiveSessionsOf = (deps: CoreDeps, userId: string) => repo.countActive(deps.sql, { userId })
export const countActiveSessionsOfTemplate = (deps: CoreDeps, templateId: string) => repo.countActive(deps.sql, { templateId })
export const sessionsPlacedOn = (deps: CoreDeps, agentId: string) => repo.placedOn(deps.sql, agentId)
export const sessionLoadByAgent = (deps: CoreDeps, agentIds: string[]) => repo.loadByAgent(deps.sql, agentIds)

/** For plugins (host:api): sessions across all users, at most `limit`. */
export const findSessions = (deps: CoreDeps, q: { userId?: string; states?: readonly SessionState[]; limit?: number }) =>
  repo.listSessionsWhere(deps.sql, { ...q, limit: q.limit ?? 1000 })
export const sessionUsageOf = (deps: CoreDeps, userId: string) => repo.usageOf(deps.sql, userId)
/** Viewer input reached the session: the hibernation policy reads this as the last activity. */
export async function recordActivity(deps: CoreDeps, id: string) {
  const touched = await repo.touchActivity(deps.sql, id)
  if (touched) listCacheOf(deps.sql).forget()
  return touched
}

/** Running sessions with their last recorded viewer input (host:api sessions.activity). */
export const sessionActivity = (deps: CoreDeps) => repo.runningActivity(deps.sql)

/** Warns a running session's viewers (session.idle_warning); a session that is not running is a NotFound. */
export async function warnIdle(deps: CoreDeps, id: string, warning: IdleWarning): Promise<void> {
  await deps.sql.begin(async (tx) => {
    const s = await repo.findSession(tx, id)
    if (s?.state !== "running") throw new NotFound("A running session with that id")
    await appendEvent(tx, "session.idle_warning", { sessionId: id, userId: s.userId, ...warning })
  })
}

export async function clearIdleWarning(deps: CoreDeps, id: string): Promise<void> {
  await deps.sql.begin(async (tx) => {
    const s = await repo.findSession(tx, id)
    if (!s) throw new NotFound("That session")
    await appendEvent(tx, "session.idle_warning_cleared", { sessionId: id, userId: s.userId })
  })
}
