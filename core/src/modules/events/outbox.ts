// Appends an event in the caller's transaction, so a state change and its event commit together.
import type { EventDataMap, EventType } from "@streamspace/schemas"
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

export async function appendEvent<T extends EventType>(tx: Sql, type: T, data: EventDataMap[T]): Promise<void> {
  await tx`insert into outbox (type, payload) values (${type}, ${tx.json(data as never)})`
  for (const listener of listeners) queueMicrotask(listener)
}
