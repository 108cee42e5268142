// SQL for the outbox's fan-out, the deliveries' retry state, dead letters and the live tail.
import type { StreamSpaceEvent } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

export interface OutboxRow {
  id: string
  type: string
  payload: Record<string, unknown>
  createdAt: string
}

export const toEvent = (row: OutboxRow): StreamSpaceEvent => ({
  id: String(row.id),
  type: row.type,
  at: row.createdAt,
  data: row.payload,
})

/** Events whose deliveries are not written yet, oldest first; locked so a second dispatcher skips them. */
export const undispatched = (sql: Sql, limit: number) =>
  sql<OutboxRow[]>`select id::text as id, type, payload, created_at from outbox
    where dispatched_at is null order by id limit ${limit} for update skip locked`

export async function fanOut(sql: Sql, eventIds: string[], deliveries: { eventId: string; installId: string }[]) {
  if (deliveries.length > 0)
    await sql`insert into event_deliveries ${sql(deliveries.map((d) => ({ eventId: d.eventId, installId: d.installId })))}
      on conflict do nothing`
  await sql`update outbox set dispatched_at = now() where id = any(${eventIds}::bigint[])`
}

export interface DueDelivery extends OutboxRow {
  installId: string
  attempts: number
}

export const dueDeliveries = (sql: Sql, limit: number) =>
  sql<DueDelivery[]>`select o.id::text as id, o.type, o.payload, o.created_at, d.install_id, d.attempts
    from event_deliveries d join outbox o on o.id = d.event_id
    where d.status = 'pending' and d.next_attempt_at <= now()
    order by d.event_id limit ${limit}`

/** When the next due delivery is, so the dispatcher can sleep until then. */
export const nextDueAt = async (sql: Sql) =>
  (await sql<{ at: string | null }[]>`select min(next_attempt_at) as at from event_deliveries where status = 'pending'`)[0]?.at ??
  null

export const markDelivered = (sql: Sql, eventId: string, installId: string) =>
  sql`update event_deliveries set status = 'delivered', attempts = attempts + 1, delivered_at = now(), last_error = null
    where event_id = ${eventId} and install_id = ${installId} and status = 'pending'`

export const markFailed = (
  sql: Sql,
  eventId: string,
  installId: string,
  error: { code: string; message: string },
  retryInMs: number | null,
) =>
  retryInMs === null
    ? sql`update event_deliveries set status = 'dead', attempts = attempts + 1, dead_at = now(), last_error = ${sql.json(error)}
        where event_id = ${eventId} and install_id = ${installId} and status = 'pending'`
    : sql`update event_deliveries set attempts = attempts + 1, last_error = ${sql.json(error)},
        next_attempt_at = now() + ${retryInMs} * interval '1 millisecond'
        where event_id = ${eventId} and install_id = ${installId} and status = 'pending'`

export interface DeadRow extends OutboxRow {
  installId: string
  pluginId: string
  attempts: number
  lastError: { code: string; message: string } | null
  deadAt: string
}

export async function listDead(sql: Sql, q: { installId?: string; limit: number; offset: number }) {
  const where = q.installId ? sql`and d.install_id = ${q.installId}` : sql``
  const items = await sql<DeadRow[]>`select o.id::text as id, o.type, o.payload, o.created_at, d.install_id, i.plugin_id,
      d.attempts, d.last_error, d.dead_at
    from event_deliveries d join outbox o on o.id = d.event_id join plugin_installs i on i.id = d.install_id
    where d.status = 'dead' ${where} order by d.dead_at desc, d.event_id desc limit ${q.limit} offset ${q.offset}`
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from event_deliveries d where d.status = 'dead' ${where}`
  return { items, total: count?.n ?? 0 }
}

/** Puts dead deliveries back in the queue with fresh attempts; answers how many. */
export async function replayDead(sql: Sql, which: { eventId?: string; installId?: string }) {
  const byEvent = which.eventId ? sql`and event_id = ${which.eventId}` : sql``
  const byInstall = which.installId ? sql`and install_id = ${which.installId}` : sql``
  const result = await sql`update event_deliveries set status = 'pending', attempts = 0, next_attempt_at = now(), dead_at = null
    where status = 'dead' ${byEvent} ${byInstall}`
  return result.count
}

/** The newest event id, where a fresh tail starts. */
export const lastEventId = async (sql: Sql) =>
  (await sql<{ id: string | null }[]>`select max(id)::text as id from outbox`)[0]?.id ?? "0"

export const eventsAfter = (sql: Sql, afterId: string, limit: number) =>
  sql<
    OutboxRow[]
  >`select id::text as id, type, payload, created_at from outbox where id > ${afterId}::bigint order by id limit ${limit}`

/**
 * Drops events older than `days` that every subscriber has (or that had none). Dead letters keep
 * their event until an admin replays them.
 */
export const pruneDelivered = async (sql: Sql, days: number) =>
  (
    await sql`delete from outbox o where o.created_at < now() - ${days} * interval '1 day' and o.dispatched_at is not null
      and not exists (select 1 from event_deliveries d where d.event_id = o.id and d.status <> 'delivered')`
  ).count
