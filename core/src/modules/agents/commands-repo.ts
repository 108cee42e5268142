// SQL for agent commands. Every state change is compare-and-set, so racing replicas or retries cannot both win.
import type { CommandAction, SessionSpec } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

export type CommandState = "queued" | "sent" | "acked" | "succeeded" | "failed" | "cancelled"
export const OPEN_STATES: readonly CommandState[] = ["queued", "sent", "acked"]

export interface CommandRow {
  id: string
  agentId: string | null
  sessionId: string | null
  action: CommandAction
  spec: SessionSpec | null
  state: CommandState
  attempts: number
  maxAttempts: number
  nextAttemptAt: string | null
  deadlineAt: string
  result: Record<string, unknown> | null
  errorCode: string | null
  error: string | null
  createdAt: string
  updatedAt: string
  completedAt: string | null
}

export interface NewCommand {
  agentId: string | null
  sessionId: string | null
  action: CommandAction
  spec: SessionSpec | null
  maxAttempts: number
  timeoutMs: number
}

const open = OPEN_STATES as CommandState[]
const ms = (sql: Sql, n: number) => sql`now() + ${n} * interval '1 millisecond'`

/**
 * Inserts a command unless the session already has an open one: then that one is returned, which
 * is what makes issuing the same command for a session twice harmless.
 */
export async function insertCommand(sql: Sql, c: NewCommand): Promise<{ row: CommandRow; created: boolean }> {
  const inserted = await sql<CommandRow[]>`insert into agent_commands
      (id, agent_id, session_id, action, spec, max_attempts, deadline_at)
    values (${crypto.randomUUID()}, ${c.agentId}, ${c.sessionId}, ${c.action}, ${c.spec ? sql.json(c.spec) : null},
      ${c.maxAttempts}, ${ms(sql, c.timeoutMs)})
    on conflict (session_id) where state in ('queued', 'sent', 'acked') do nothing
    returning *`
  if (inserted[0]) return { row: inserted[0], created: true }
  const existing = await sql<
    CommandRow[]
  >`select * from agent_commands where session_id = ${c.sessionId} and state = any(${open}::text[])`
  if (!existing[0]) throw new Error("a conflicting open command vanished; retry")
  return { row: existing[0], created: false }
}

/** A stop outranks whatever else was under way for the session. */
export const cancelOpenForSession = (sql: Sql, sessionId: string, reason: string) =>
  sql<CommandRow[]>`update agent_commands set state = 'cancelled', error = ${reason}, updated_at = now(), completed_at = now()
    where session_id = ${sessionId} and state = any(${open}::text[]) returning *`

export const findCommand = async (sql: Sql, id: string) =>
  (await sql<CommandRow[]>`select * from agent_commands where id = ${id}`)[0] ?? null

export const openCommandsOf = (sql: Sql, agentId: string) =>
  sql<CommandRow[]>`select * from agent_commands where agent_id = ${agentId} and state = any(${open}::text[]) order by created_at`

export const hasOpenCommand = async (sql: Sql, sessionId: string) =>
  (await sql`select 1 from agent_commands where session_id = ${sessionId} and state = any(${open}::text[])`).length > 0

/** Commands that need attention now: past their deadline, not placed yet, or due for another delivery. */
export const dueCommands = (sql: Sql) =>
  sql<CommandRow[]>`select * from agent_commands where state = any(${open}::text[])
    and (deadline_at <= now() or agent_id is null or next_attempt_at <= now())
    order by created_at limit 500`

export const assignAgent = async (sql: Sql, id: string, agentId: string) =>
  (
    await sql<CommandRow[]>`update agent_commands set agent_id = ${agentId}, updated_at = now()
      where id = ${id} and agent_id is null and state = 'queued' returning *`
  )[0] ?? null

/** Counts a delivery and sets when to deliver again if no ack comes. */
export const markSent = async (sql: Sql, id: string, retryInMs: number) =>
  (
    await sql<CommandRow[]>`update agent_commands set state = 'sent', attempts = attempts + 1,
        next_attempt_at = ${ms(sql, retryInMs)}, updated_at = now()
      where id = ${id} and state = any(${open}::text[]) and attempts < max_attempts returning *`
  )[0] ?? null

/** Back to the queue: delivered again when due (or, with no time, when the agent connects). */
export const requeue = (sql: Sql, id: string, retryInMs: number | null) =>
  sql`update agent_commands set state = 'queued', updated_at = now(),
      next_attempt_at = ${retryInMs === null ? null : ms(sql, retryInMs)}
    where id = ${id} and state = any(${open}::text[])`

/** A delivery that never left (the connection or its replica had just gone): not an attempt, tried again soon. */
export const undoSend = (sql: Sql, id: string, retryInMs: number) =>
  sql`update agent_commands set state = 'queued', attempts = greatest(attempts - 1, 0), updated_at = now(),
      next_attempt_at = ${ms(sql, retryInMs)}
    where id = ${id} and state = 'sent'`

export const markAcked = (sql: Sql, id: string, agentId: string) =>
  sql`update agent_commands set state = 'acked', next_attempt_at = null, updated_at = now()
    where id = ${id} and agent_id = ${agentId} and state = 'sent'`

/**
 * Ends a command once; the caller that gets the row back is the one that acts on the outcome.
 * `byAgent`: only if the command is that agent's (a result from any other agent changes nothing).
 */
export const completeCommand = async (
  sql: Sql,
  id: string,
  outcome:
    | { state: "succeeded"; result: Record<string, unknown> }
    | { state: "failed"; errorCode: string; error: string }
    | { state: "cancelled"; error: string },
  byAgent?: string,
) =>
  (
    await sql<CommandRow[]>`update agent_commands set state = ${outcome.state},
        result = ${outcome.state === "succeeded" ? sql.json(outcome.result as never) : null},
        error_code = ${outcome.state === "failed" ? outcome.errorCode : null},
        error = ${outcome.state === "succeeded" ? null : outcome.error},
        next_attempt_at = null, updated_at = now(), completed_at = now()
      where id = ${id} and state = any(${open}::text[]) ${byAgent ? sql`and agent_id = ${byAgent}` : sql``}
      returning *`
  )[0] ?? null

export const remainingMs = (row: CommandRow) => Math.max(1, Date.parse(row.deadlineAt) - Date.now())
