// SQL for sessions. State changes are compare-and-set on the allowed previous states.
import {
  ACTIVE_STATES,
  type Resources,
  type Session,
  type SessionActivity,
  type SessionQuery,
  type SessionState,
} from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"
import { changeWithEvent, type EventType } from "../events/outbox.ts"

const columns = (sql: Sql) =>
  sql`id, user_id, template_id, template_name, state, reason, agent_id, resources, created_at, updated_at,
    started_at, stopped_at, last_activity_at`

/** A new pending session and its `session.created` event, in one statement. */
export const insertSession = async (
  sql: Sql,
  s: { userId: string; templateId: string; templateName: string; resources: Resources },
) =>
  (
    await changeWithEvent<Session>(
      sql,
      sql`insert into sessions (user_id, template_id, template_name, state, resources)
        values (${s.userId}, ${s.templateId}, ${s.templateName}, 'pending', ${sql.json(s.resources)})
        returning ${columns(sql)}`,
      "session.created",
      sql`jsonb_build_object('sessionId', id, 'userId', user_id, 'templateId', template_id)`,
    )
  )[0] as Session

export const findSession = async (sql: Sql, id: string) =>
  (await sql<Session[]>`select ${columns(sql)} from sessions where id = ${id}`)[0] ?? null

export async function listSessions(sql: Sql, q: SessionQuery & { ownerId: string | null }) {
  // Only the filters in use go into the statement, so each shape gets a plan that can use the user index.
  const where = sql`where true
    ${q.ownerId ? sql`and user_id = ${q.ownerId}` : sql``}
    ${q.userId ? sql`and user_id = ${q.userId}` : sql``}
    ${q.state ? sql`and state = ${q.state}` : sql``}`
  const offset = q.offset ?? 0
  // The total rides along with the page (one round trip); only a page past the end needs its own count.
  const rows = await sql<(Session & { fullCount: number })[]>`select ${columns(sql)}, count(*) over ()::int as full_count
    from sessions ${where} order by created_at desc limit ${q.limit ?? 50} offset ${offset}`
  const total =
    rows[0]?.fullCount ??
    (offset > 0 ? ((await sql<{ n: number }[]>`select count(*)::int as n from sessions ${where}`)[0]?.n ?? 0) : 0)
  const items = rows.map(({ fullCount: _, ...session }) => session)
  return { items, total }
}

/**
 * Moves a session to `to` only if it is still in one of `from`: two racing updates cannot both
 * win, and a stale caller gets null instead of overwriting newer state.
 */
const stateChange = (
  sql: Sql,
  id: string,
  from: readonly SessionState[],
  to: SessionState,
  fields: { reason?: string | null; agentId?: string | null },
) => sql`update sessions set state = ${to}, updated_at = now(),
      reason = ${fields.reason === undefined ? sql`reason` : fields.reason},
      agent_id = ${fields.agentId === undefined ? sql`agent_id` : fields.agentId},
      started_at = ${to === "running" ? sql`coalesce(started_at, now())` : sql`started_at`},
      stopped_at = ${to === "stopped" || to === "failed" ? sql`now()` : sql`stopped_at`}
    where id = ${id} and state = any(${from as SessionState[]}::text[])
    returning ${columns(sql)}`

export async function setState(
  sql: Sql,
  id: string,
  from: readonly SessionState[],
  to: SessionState,
  fields: { reason?: string | null; agentId?: string | null } = {},
) {
  const rows = await sql<Session[]>`${stateChange(sql, id, from, to, fields)}`
  return rows[0] ?? null
}

/** setState and, when it moves, the event of the new state (its data: sessionId, userId, agentId, reason) in one statement. */
export async function setStateWithEvent(
  sql: Sql,
  id: string,
  from: readonly SessionState[],
  to: SessionState,
  fields: { reason?: string | null; agentId?: string | null },
  event: EventType,
) {
  const payload = sql`jsonb_build_object('sessionId', id, 'userId', user_id, 'agentId', agent_id, 'reason', reason)`
  const rows = await changeWithEvent<Session>(sql, stateChange(sql, id, from, to, fields), event, payload)
  return rows[0] ?? null
}

/** The session's state, its row locked until the transaction ends. */
export const lockState = async (sql: Sql, id: string) =>
  (await sql<{ state: SessionState }[]>`select state from sessions where id = ${id} for update`)[0]?.state ?? null

export const deleteSessionRow = async (sql: Sql, id: string) => (await sql`delete from sessions where id = ${id}`).count > 0

export const countActive = async (sql: Sql, by: { userId?: string; templateId?: string }) =>
  (
    await sql<{ n: number }[]>`select count(*)::int as n from sessions
      where state = any(${ACTIVE_STATES as SessionState[]}::text[])
        and (${by.userId ?? null}::uuid is null or user_id = ${by.userId ?? null})
        and (${by.templateId ?? null}::uuid is null or template_id = ${by.templateId ?? null})`
  )[0]?.n ?? 0

/** Sessions placed on an agent and not finished, for reconciling with what the agent reports. */
export const placedOn = (sql: Sql, agentId: string) =>
  sql<{ id: string; state: SessionState }[]>`select id, state from sessions
    where agent_id = ${agentId} and state not in ('pending', 'stopped', 'failed')`

/** How many sessions each agent holds (hibernated ones keep no compute and are not counted). */
export async function loadByAgent(sql: Sql, agentIds: string[]): Promise<Map<string, number>> {
  const rows = await sql<{ agentId: string; n: number }[]>`select agent_id, count(*)::int as n from sessions
    where agent_id = any(${agentIds}::uuid[]) and state in ('starting', 'running', 'waking', 'hibernating', 'stopping')
    group by agent_id`
  return new Map(rows.map((r) => [r.agentId, r.n]))
}

/** Sessions by owner and states, newest first, for plugins (host:api sessions.list). */
export const listSessionsWhere = (sql: Sql, q: { userId?: string; states?: readonly SessionState[]; limit: number }) =>
  sql<Session[]>`select ${columns(sql)} from sessions
    where (${q.userId ?? null}::uuid is null or user_id = ${q.userId ?? null})
      and (${q.states === undefined}::boolean or state = any(${(q.states ?? []) as SessionState[]}::text[]))
    order by created_at desc limit ${q.limit}`

/** What a user's active sessions hold: count, CPU cores and MiB. */
export const usageOf = async (sql: Sql, userId: string) => {
  const [row] = await sql<{ active: number; cpu: number; memory: number }[]>`select count(*)::int as active,
      coalesce(sum((resources->>'cpu')::float8), 0)::float8 as cpu,
      coalesce(sum((resources->>'memory')::int), 0)::int as memory
    from sessions where user_id = ${userId} and state = any(${ACTIVE_STATES as SessionState[]}::text[])`
  return { userId, active: row?.active ?? 0, cpu: row?.cpu ?? 0, memory: row?.memory ?? 0 }
}

/** A viewer used the session (the relay throttles these). */
export const touchActivity = async (sql: Sql, id: string) =>
  (await sql`update sessions set last_activity_at = now() where id = ${id}`).count > 0

export const runningActivity = (sql: Sql) =>
  sql<SessionActivity[]>`select id as session_id, user_id, template_id, template_name,
      coalesce(started_at, updated_at) as started_at, updated_at as running_since,
      last_activity_at as last_input_at
    from sessions where state = 'running' order by updated_at limit 10000`
