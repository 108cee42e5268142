// Carries out the control plane's commands on the SessionDriver: acked at once, one at a time per session, deduplicated by command id.
import type { AgentMessage, Command, SessionReport } from "@streamspace/schemas"
import type { Logger } from "pino"
import type { SessionDriver } from "./session-driver.ts"

type Outcome = Extract<AgentMessage, { type: "command.result" | "command.error" }>

/** How many finished commands are remembered, so a command the core sends again is answered, not redone. */
const REMEMBERED = 2_000

const NOT_LEADER = "NOT_LEADER"
const notLeader = (commandId: string): Outcome => ({
  type: "command.error",
  commandId,
  code: NOT_LEADER,
  message: "This agent replica does not lead; the control plane sends the command to the leader.",
  retryable: true,
})

export interface CommandRouterEvents {
  /** A command changed what runs here (start, wake, hibernate, stop). */
  sessionChanged(report: SessionReport): void
}

export class CommandRouter {
  private readonly finished = new Map<string, Outcome>()
  private readonly inFlight = new Set<string>()
  private readonly perSession = new Map<string, Promise<unknown>>()
  /** Commands wait behind this (reconcile after a reconnect). */
  private gate: Promise<unknown> = Promise.resolve()

  constructor(
    private readonly driver: SessionDriver,
    /** Sends on the current connection; false when there is none (the core will send the command again). */
    private readonly send: (message: AgentMessage) => boolean,
    private readonly events: CommandRouterEvents,
    private readonly log: Logger,
    /** Whether this replica may act now (leads); asked on arrival and again right before the driver is called. */
    private readonly mayAct: () => boolean = () => true,
  ) {}

  /** Holds commands until `work` is done: after a reconnect, reconcile goes first. */
  holdUntil(work: Promise<unknown>): void {
    this.gate = Promise.all([this.gate, work.catch(() => {})])
  }

  /** Whether a command for this session is under way: its reports would be stale. */
  busy(sessionId: string): boolean {
    return this.perSession.has(sessionId)
  }

  handle(command: Command): void {
    if (!this.mayAct()) return void this.send(notLeader(command.commandId))
    this.send({ type: "command.ack", commandId: command.commandId })
    const done = this.finished.get(command.commandId)
    if (done) {
      this.send(done)
      return
    }
    if (this.inFlight.has(command.commandId)) return
    this.inFlight.add(command.commandId)
    const key = command.sessionId ?? "(no session)"
    const previous = this.perSession.get(key) ?? Promise.resolve()
    const run = Promise.all([previous, this.gate]).then(() => this.execute(command))
    const tail = run.finally(() => {
      if (this.perSession.get(key) === tail) this.perSession.delete(key)
    })
    this.perSession.set(key, tail)
    void run.then((outcome) => {
      this.inFlight.delete(command.commandId)
      this.remember(command.commandId, outcome)
      this.send(outcome)
    })
  }

  private async execute(command: Command): Promise<Outcome> {
    const { commandId, action } = command
    // Deposed while it waited (behind reconcile or the session's previous command): another replica runs it.
    if (!this.mayAct()) return notLeader(commandId)
    const started = performance.now()
    try {
      const result = await this.perform(command)
      this.log.info(
        { commandId, action, sessionId: command.sessionId, ms: Math.round(performance.now() - started) },
        "command done",
      )
      return { type: "command.result", commandId, result }
    } catch (err) {
      const e = err as { code?: unknown; retryable?: unknown; message?: unknown }
      const code = typeof e.code === "string" ? e.code.slice(0, 64) : "DRIVER_ERROR"
      const message = (typeof e.message === "string" ? e.message : String(err)).slice(0, 4000)
      this.log.warn({ commandId, action, sessionId: command.sessionId, code, message }, "command failed")
      return { type: "command.error", commandId, code, message, retryable: e.retryable === true }
    }
  }

  private async perform(command: Command): Promise<Record<string, unknown>> {
    if (command.action === "session.list") return { sessions: await this.driver.list() }
    const { sessionId, spec } = command
    if (!sessionId) throw Object.assign(new Error(`${command.action} needs a sessionId.`), { code: "BAD_COMMAND" })
    const needsSpec = command.action === "session.start" || command.action === "session.wake"
    if (needsSpec && spec?.sessionId !== sessionId)
      throw Object.assign(new Error(`${command.action} needs the session's spec.`), { code: "BAD_COMMAND" })
    const report = await (command.action === "session.start" && spec
      ? this.driver.start(spec)
      : command.action === "session.wake" && spec
        ? this.driver.wake(spec)
        : command.action === "session.hibernate"
          ? this.driver.hibernate(sessionId)
          : this.driver.stop(sessionId))
    this.events.sessionChanged(report)
    return { ...report }
  }

  private remember(commandId: string, outcome: Outcome): void {
    // A refusal is not an outcome: should this replica lead again, the command must run.
    if (outcome.type === "command.error" && outcome.code === NOT_LEADER) return
    this.finished.set(commandId, outcome)
    if (this.finished.size > REMEMBERED) {
      const oldest = this.finished.keys().next().value
      if (oldest !== undefined) this.finished.delete(oldest)
    }
  }
}
