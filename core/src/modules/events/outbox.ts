// Appends an event in the caller's transaction, so a state change and its event commit together.
import type { Sql } from "../../infra/db/connect.ts"

export type EventType =
  | "session.created"
  | "session.started"
  | "session.stopped"
  | "session.hibernated"
  | "session.woken"
  | "session.failed"
  | "session.deleted"
  | "user.created"
  | "agent.connected"
  | "agent.disconnected"

export const appendEvent = (tx: Sql, type: EventType, payload: Record<string, unknown>) =>
  tx`insert into outbox (type, payload) values (${type}, ${tx.json(payload as never)})`
