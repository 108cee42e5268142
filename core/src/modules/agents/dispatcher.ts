// Delivers persisted commands to agents: correlation by command id, acks, retries with backoff, deadlines.
import type { Command, CommandAction, SessionSpec } from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import * as repo from "./commands-repo.ts"
import type { CommandRow } from "./commands-repo.ts"

export interface DispatchTimings {
  /** Total time a command may take, from issue to result. */
  commandTimeoutMs: number
  /** Without an ack in this time the command is delivered again (doubling each time, capped). */
  ackTimeoutMs: number
  maxAttempts: number
}

export interface DispatcherLink {
  /** Whether the agent has a leading connection (on this replica or another) that a command can go to now. */
  reachable(agentId: string): Promise<boolean>
  /** Sends to the agent's leading connection, through its replica if need be; false when it could not. */
  deliver(agentId: string, command: Command): Promise<boolean>
  /** Puts a command that has no agent yet on one; the command as assigned, or null if it stays unplaced. */
  place(command: CommandRow): Promise<CommandRow | null>
  /** A command ended (succeeded or failed): its session moves on. */
  settled(command: CommandRow): Promise<void>
}

export interface IssueCommand {
  sessionId: string
  agentId: string | null
  action: CommandAction
  spec: SessionSpec | null
}

const MAX_RETRY_GAP_MS = 10_000
const UNDELIVERED_RETRY_MS = 200

export function createDispatcher(deps: CoreDeps, link: DispatcherLink, timings: DispatchTimings) {
  const { sql, log } = deps
  const retryGap = (attempts: number) => Math.min(timings.ackTimeoutMs * 2 ** Math.max(0, attempts - 1), MAX_RETRY_GAP_MS)

  async function fail(row: CommandRow, errorCode: string, error: string): Promise<void> {
    const done = await repo.completeCommand(sql, row.id, { state: "failed", errorCode, error })
    if (done) await link.settled(done)
  }

  /** One delivery attempt. Recorded before it is sent, so a fast ack always finds the command `sent`. */
  async function deliver(row: CommandRow): Promise<void> {
    if (!row.agentId) return
    // An agent that is away does not burn attempts: its commands go out again when it connects.
    if (!(await link.reachable(row.agentId))) {
      if (row.state !== "queued" || row.nextAttemptAt !== null) await repo.requeue(sql, row.id, null)
      return
    }
    if (row.attempts >= row.maxAttempts)
      return fail(row, "AGENT_UNRESPONSIVE", `The agent did not acknowledge ${row.action} after ${row.attempts} attempts.`)
    const sent = await repo.markSent(sql, row.id, retryGap(row.attempts + 1))
    if (!sent) return
    const message: Command = {
      type: "command",
      commandId: sent.id,
      action: sent.action,
      deadlineMs: repo.remainingMs(sent),
      ...(sent.sessionId ? { sessionId: sent.sessionId } : {}),
      ...(sent.spec ? { spec: sent.spec } : {}),
    }
    // Not delivered (the connection or its replica just went away, the agent is reconnecting): no attempt was
    // spent, and it goes out again at the next sweep after UNDELIVERED_RETRY_MS, or at once when the agent is back.
    if (!(await link.deliver(row.agentId, message))) await repo.undoSend(sql, sent.id, UNDELIVERED_RETRY_MS)
  }

  async function attend(row: CommandRow): Promise<void> {
    if (Date.parse(row.deadlineAt) <= Date.now()) {
      const seconds = Number((timings.commandTimeoutMs / 1000).toFixed(1))
      const why = row.agentId
        ? `The agent did not finish ${row.action} within ${seconds} s.`
        : `No agent was available to run this session within ${seconds} s. Ask an operator to check the agents.`
      return fail(row, row.agentId ? "AGENT_TIMEOUT" : "NO_AGENT_AVAILABLE", why)
    }
    if (!row.agentId) {
      const placed = await link.place(row)
      if (placed) return deliver(placed)
      return
    }
    return deliver(row)
  }

  let sweeping: Promise<void> | null = null

  return {
    /** Persists a command and tries to deliver it now. Returns the open command of the session if it has one. */
    async issue(input: IssueCommand): Promise<CommandRow> {
      const command = { ...input, maxAttempts: timings.maxAttempts, timeoutMs: timings.commandTimeoutMs }
      // Only a stop replaces what is open; any other command is one statement, no transaction round trips.
      const { row, created } =
        input.action === "session.stop"
          ? await sql.begin(async (tx) => {
              await repo.cancelOpenForSession(tx, input.sessionId, "superseded by session.stop")
              return repo.insertCommand(tx, command)
            })
          : await repo.insertCommand(sql, command)
      if (created) await attend(row)
      return row
    },

    async acked(agentId: string, commandId: string): Promise<void> {
      await repo.markAcked(sql, commandId, agentId)
    },

    async succeeded(agentId: string, commandId: string, result: Record<string, unknown>): Promise<void> {
      const done = await repo.completeCommand(sql, commandId, { state: "succeeded", result }, agentId)
      if (done) await link.settled(done)
    },

    async errored(agentId: string, commandId: string, e: { code: string; message: string; retryable: boolean }): Promise<void> {
      const current = await repo.findCommand(sql, commandId)
      if (!current || current.agentId !== agentId || !repo.OPEN_STATES.includes(current.state)) return
      const timeLeft = Date.parse(current.deadlineAt) - Date.now()
      const gap = retryGap(current.attempts)
      if (e.retryable && current.attempts < current.maxAttempts && timeLeft > gap) {
        log.warn({ commandId, code: e.code, attempts: current.attempts }, "agent reported a retryable error; retrying")
        await repo.requeue(sql, commandId, gap)
        return
      }
      await fail(current, e.code, e.message)
    },

    /** The agent (re)connected: everything still open for it goes out again; it deduplicates by command id. */
    async agentReady(agentId: string): Promise<void> {
      for (const row of await repo.openCommandsOf(sql, agentId)) await attend(row)
    },

    /** Deadlines, due retries and unplaced commands. Runs on a timer; overlapping calls share one pass. */
    sweep(): Promise<void> {
      sweeping ??= (async () => {
        try {
          for (const row of await repo.dueCommands(sql)) await attend(row)
        } catch (err) {
          log.error({ err }, "command sweep failed")
        } finally {
          sweeping = null
        }
      })()
      return sweeping
    },
  }
}
export type Dispatcher = ReturnType<typeof createDispatcher>
