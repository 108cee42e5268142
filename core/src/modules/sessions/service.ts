// Session lifecycle as the API sees it. Agents move sessions along through `transition`.
import {
  canTransition,
  isTerminal,
  SESSION_STATES,
  type CreateSession,
  type Session,
  type SessionQuery,
  type SessionState,
} from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { Forbidden, InvalidTransition, NotFound } from "../../http/errors.ts"
import { appendEvent, type EventType } from "../events/outbox.ts"
import { hasRole, type Principal } from "../identity/principal.ts"
import { getTemplate } from "../templates/service.ts"
import * as repo from "./repo.ts"

const EVENT_OF: Partial<Record<SessionState, EventType>> = {
  running: "session.started",
  stopped: "session.stopped",
  hibernated: "session.hibernated",
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
  const session = await deps.sql.begin(async (tx) => {
    const s = await repo.insertSession(tx, { userId: user.id, templateId: template.id, templateName: template.name, resources })
    await appendEvent(tx, "session.created", { sessionId: s.id, userId: user.id, templateId: template.id })
    return s
  })
  deps.scheduler?.sessionCreated(session)
  return session
}

/** Owners and admins see a session; everyone else gets 404 so ids reveal nothing. */
export async function getSession(deps: CoreDeps, viewer: Principal, id: string): Promise<Session> {
  const s = await repo.findSession(deps.sql, id)
  if (!s || (s.userId !== viewer.id && !hasRole(viewer, "admin"))) throw new NotFound("That session")
  return s
}

export const listSessions = (deps: CoreDeps, viewer: Principal, q: SessionQuery) =>
  repo.listSessions(deps.sql, { ...q, ownerId: q.all && hasRole(viewer, "admin") ? null : viewer.id })

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
    return null
  }
  // Nothing runs anywhere yet: no agent to ask, so the session ends here.
  if (!s.agentId || !deps.scheduler) return transition(deps, id, "stopped", { reason: "stopped by user" })
  const stopping = await transition(deps, id, "stopping")
  deps.scheduler.sessionStopping(stopping)
  return stopping
}

/** The one way a session changes state: validated by the state machine, event in the same transaction. */
export async function transition(
  deps: CoreDeps,
  id: string,
  to: SessionState,
  fields: { reason?: string | null; agentId?: string | null } = {},
): Promise<Session> {
  const allowedFrom = SESSION_STATES.filter((from) => canTransition(from, to))
  return deps.sql.begin(async (tx) => {
    const updated = await repo.setState(tx, id, allowedFrom, to, fields)
    if (!updated) {
      const current = await repo.findSession(tx, id)
      if (!current) throw new NotFound("That session")
      throw new InvalidTransition(current.state, to)
    }
    const event = EVENT_OF[to]
    if (event) await appendEvent(tx, event, { sessionId: id, userId: updated.userId, reason: updated.reason })
    return updated
  })
}

export const findSession = (deps: CoreDeps, id: string) => repo.findSession(deps.sql, id)
export const countActiveSessionsOf = (deps: CoreDeps, userId: string) => repo.countActive(deps.sql, { userId })
export const countActiveSessionsOfTemplate = (deps: CoreDeps, templateId: string) => repo.countActive(deps.sql, { templateId })
