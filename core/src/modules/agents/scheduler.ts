// Runs sessions on agents: places them, sends their commands, and moves them along on outcomes and reports.
import { isTerminal, type Session, SessionReport, type SessionSpec, type SessionState } from "@streamspace/schemas"
import { TypeCompiler } from "@sinclair/typebox/compiler"
import type { CoreDeps } from "../../deps.ts"
import { sessionLoadByAgent, sessionsPlacedOn, findSession, transitionFrom } from "../sessions/service.ts"
import type { SessionScheduler } from "../sessions/ports.ts"
import { findTemplateForSession } from "../templates/service.ts"
import { getUser } from "../users/service.ts"
import * as commands from "./commands-repo.ts"
import type { CommandRow } from "./commands-repo.ts"
import { createDispatcher, type DispatchTimings } from "./dispatcher.ts"
import { type Candidate, chooseAgent } from "./placement.ts"
import type { Command } from "@streamspace/schemas"

export interface SchedulerLink {
  /** Agents whose leading connection is live on any replica. */
  candidates(): Promise<Candidate[]>
  reachable(agentId: string): Promise<boolean>
  deliver(agentId: string, command: Command): Promise<boolean>
}

const checkReport = TypeCompiler.Compile(SessionReport)
const LIVE: SessionState[] = ["pending", "starting", "running", "hibernating", "hibernated", "waking", "stopping"]

/** What each action is for: the state it leaves from and the one a success reaches. */
const OUTCOME = {
  "session.start": { from: ["starting"], to: "running" },
  "session.wake": { from: ["waking"], to: "running" },
  "session.hibernate": { from: ["hibernating"], to: "hibernated" },
  "session.stop": { from: ["stopping"], to: "stopped" },
} as const satisfies Partial<Record<CommandRow["action"], { from: SessionState[]; to: SessionState }>>

/**
 * A report with no command under way means the workload changed on its own (or a result was
 * lost): the path leads from the recorded state to what the agent sees, one allowed step at a time.
 */
function pathTo(recorded: SessionState, reported: SessionState): SessionState[] {
  if (reported === "failed") return ["failed"]
  if (reported === "running") return recorded === "hibernated" ? ["waking", "running"] : ["running"]
  if (reported === "hibernated") return recorded === "running" ? ["hibernating", "hibernated"] : ["hibernated"]
  if (reported === "stopped") return recorded === "stopping" ? ["stopped"] : ["failed"]
  return []
}

export function createScheduler(deps: CoreDeps, link: SchedulerLink, timings: DispatchTimings & { healthyWithinMs: number }) {
  const { log } = deps
  let placing: Promise<unknown> = Promise.resolve()

  async function specOf(session: Session): Promise<SessionSpec> {
    const template = session.templateId ? await findTemplateForSession(deps, session.templateId) : null
    if (!template) throw new Error(`Its template ${session.templateName} was deleted.`)
    const user = await getUser(deps, session.userId)
    return {
      sessionId: session.id,
      userId: user.id,
      username: user.username,
      templateName: template.name,
      image: template.image,
      vncPort: template.vncPort,
      resources: session.resources,
      env: template.env,
      homePath: template.homePath,
      allowOutbound: template.allowOutbound,
    }
  }

  async function failSession(sessionId: string, reason: string) {
    const failed = await transitionFrom(deps, sessionId, LIVE, "failed", { reason })
    if (failed) log.warn({ sessionId, reason }, "session failed")
    return failed
  }

  /**
   * Claiming the command first makes placement safe against a second placer (another sweep or
   * replica); placements here are also serialised so that two launches cannot take one last slot.
   */
  function place(row: CommandRow): Promise<CommandRow | null> {
    const run = placing.then(async () => {
      const sessionId = row.sessionId
      if (!sessionId) return null
      // Agents that report themselves full are out before the database is asked about the rest.
      const candidates = (await link.candidates()).filter((c) => c.capacity.runningSessions < c.capacity.maxSessions)
      const load = await sessionLoadByAgent(
        deps,
        candidates.map((c) => c.agentId),
      )
      const agentId = chooseAgent(candidates, load, {}, timings.healthyWithinMs)
      if (!agentId) return null
      const claimed = await commands.assignAgent(deps.sql, row.id, agentId)
      if (!claimed) return null
      if (await transitionFrom(deps, sessionId, ["pending"], "starting", { agentId })) return claimed
      await commands.completeCommand(deps.sql, row.id, { state: "cancelled", error: "the session is no longer pending" })
      return null
    })
    placing = run.catch(() => {})
    return run
  }

  async function settled(row: CommandRow): Promise<void> {
    if (!row.sessionId || !(row.action in OUTCOME)) return
    const { from, to } = OUTCOME[row.action as keyof typeof OUTCOME]
    if (row.state === "failed") return failAfterCommand(row, row.error ?? `${row.action} failed`)
    const report = row.result
    if (!checkReport.Check(report) || report.sessionId !== row.sessionId)
      return failAfterCommand(row, `The agent answered ${row.action} with a malformed result.`)
    if (report.state === to) {
      await transitionFrom(deps, row.sessionId, from, to, { reason: null })
      return
    }
    const why = report.state === "failed" ? (report.reason ?? `${row.action} failed on the agent`) : undefined
    return failAfterCommand(row, why ?? `The agent answered ${row.action} with ${report.state}, not ${to}.`)
  }

  /** A start or wake that failed may have left a half-made workload: the agent is asked to remove it. */
  async function failAfterCommand(row: CommandRow, reason: string) {
    if (!row.sessionId) return
    const failed = await failSession(row.sessionId, reason)
    if (failed && row.agentId && (row.action === "session.start" || row.action === "session.wake"))
      await dispatcher.issue({ sessionId: row.sessionId, agentId: row.agentId, action: "session.stop", spec: null })
  }

  const dispatcher = createDispatcher(deps, { ...link, place, settled }, timings)

  /** The port's calls are fire-and-forget; a failure to even issue the command fails the session. */
  const background = (session: Session, work: () => Promise<unknown>) => {
    work().catch(async (err: Error) => {
      log.error({ err, sessionId: session.id }, "could not hand the session to an agent")
      await failSession(session.id, `The control plane could not hand the session to an agent: ${err.message}`).catch(() => {})
    })
  }

  async function applyReport(agentId: string, report: SessionReport, recorded?: SessionState): Promise<void> {
    let state = recorded
    if (!state) {
      const s = await findSession(deps, report.sessionId)
      if (!s || s.agentId !== agentId) return
      state = s.state
    }
    if (isTerminal(state) || state === report.state) return
    // While a command is under way its outcome decides; a report could be older than it.
    if (await commands.hasOpenCommand(deps.sql, report.sessionId)) return
    for (const step of pathTo(state, report.state)) {
      const reason = step === "failed" ? (report.reason ?? `The agent reports the session ${report.state}.`) : undefined
      const moved = await transitionFrom(deps, report.sessionId, [state], step, reason ? { reason } : {})
      if (!moved) return
      state = step
    }
  }

  const scheduler: SessionScheduler = {
    sessionCreated: (session) =>
      background(session, async () =>
        dispatcher.issue({ sessionId: session.id, agentId: null, action: "session.start", spec: await specOf(session) }),
      ),
    sessionStopping: (session) =>
      background(session, () =>
        dispatcher.issue({ sessionId: session.id, agentId: session.agentId, action: "session.stop", spec: null }),
      ),
    sessionHibernating: (session) =>
      background(session, () =>
        dispatcher.issue({ sessionId: session.id, agentId: session.agentId, action: "session.hibernate", spec: null }),
      ),
    sessionWaking: (session) =>
      background(session, async () =>
        dispatcher.issue({
          sessionId: session.id,
          agentId: session.agentId,
          action: "session.wake",
          spec: await specOf(session),
        }),
      ),
  }

  return {
    scheduler,
    commands: dispatcher,
    /** A session.status message: one session changed on the agent. */
    applyReport: (agentId: string, report: SessionReport) => applyReport(agentId, report),
    /** A heartbeat's list: only sessions whose reported state differs from the record are looked at. */
    async applyHeartbeat(agentId: string, reports: readonly SessionReport[]): Promise<void> {
      if (reports.length === 0) return
      const recorded = new Map((await sessionsPlacedOn(deps, agentId)).map((s) => [s.id, s.state]))
      for (const report of reports) {
        const state = recorded.get(report.sessionId)
        if (state && state !== report.state) await applyReport(agentId, report, state)
      }
    },
    /** What the welcome message tells a connecting agent it should hold. */
    async knownSessions(agentId: string) {
      return (await sessionsPlacedOn(deps, agentId)).map((s) => ({ sessionId: s.id, state: s.state }))
    },
  }
}
export type Scheduler = ReturnType<typeof createScheduler>
