// Appends an event in the caller's transaction, so a state change and its event commit together.
import type { EventDataMap, EventType } from "@streamspace/schemas"
import type postgres from "postgres"
import type { Sql } from "../../infra/db/connect.ts"

export type { EventType }

type Listener = () => void
const listeners = new Set<Listener>()

/**
 * Wakes this process's dispatcher and event streams. Called at append, i.e. before commit: on
 * PGlite the single connection runs their read after the commit anyway; on PostgreSQL a read that
 * comes too early finds nothing and the trigger's NOTIFY (sent at commit) wakes them again.
 */
export function onOutboxAppend(listener: Listener): () => void {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

const wakeListeners = () => {
  for (const listener of listeners) queueMicrotask(listener)
}

export async function appendEvent<T extends EventType>(tx: Sql, type: T, data: EventDataMap[T]): Promise<void> {
  await tx`insert into outbox (type, payload) values (${type}, ${tx.json(data as never)})`
  wakeListeners()
}

/**
 * Runs a data-modifying statement (`insert|update … returning …`) and appends one event per row it
 * returns, in one statement: atomic like a transaction, but one round trip and one commit instead
 * of four (BEGIN, change, event, COMMIT) — the session hot paths run several of these in a row.
 * `payload` is a SQL expression over the returned columns that builds the event's data.
 */
export async function changeWithEvent<Row extends object>(
  sql: Sql,
  change: postgres.Fragment,
  type: EventType,
  payload: postgres.Fragment,
): Promise<Row[]> {
  const rows = await sql<Row[]>`with changed as (${change}),
    appended as (insert into outbox (type, payload) select ${type}, ${payload} from changed)
    select * from changed`
  if (rows.length > 0) wakeListeners()
  return rows
}
