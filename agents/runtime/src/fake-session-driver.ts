// A fake SessionDriver, only for the runtime's own unit tests: sessions live in a map, failures and delays are scripted.
import type { Capacity, SessionReport, SessionSpec, SessionState } from "@streamspace/schemas"
import type { SessionDriver, VncTarget } from "./session-driver.ts"

type Action = "start" | "stop" | "hibernate" | "wake"

export class FakeDriverError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly retryable = false,
  ) {
    super(message)
  }
}

export class FakeSessionDriver implements SessionDriver {
  readonly platform = "docker" as const
  readonly sessions = new Map<string, SessionState>()
  /** Every call, in order: "start <id>", "reconcile <ids>"… */
  readonly calls: string[] = []
  maxSessions = 5
  /** Milliseconds each action takes. */
  delayMs = 0
  /** Where vncTarget points (a test's byte peer). */
  vnc: VncTarget | null = null
  private failures: { action: Action; error: Error }[] = []

  failNext(action: Action, error: Error): void {
    this.failures.push({ action, error })
  }

  private async act(action: Action, sessionId: string, to: SessionState | null): Promise<SessionReport> {
    this.calls.push(`${action} ${sessionId}`)
    if (this.delayMs) await Bun.sleep(this.delayMs)
    const i = this.failures.findIndex((f) => f.action === action)
    if (i >= 0) throw this.failures.splice(i, 1)[0]?.error
    if (to === null) this.sessions.delete(sessionId)
    else this.sessions.set(sessionId, to)
    return { sessionId, state: to ?? "stopped" }
  }

  start(spec: SessionSpec) {
    return this.act("start", spec.sessionId, "running")
  }
  stop(sessionId: string) {
    return this.act("stop", sessionId, null)
  }
  hibernate(sessionId: string) {
    return this.act("hibernate", sessionId, "hibernated")
  }
  wake(spec: SessionSpec) {
    return this.act("wake", spec.sessionId, "running")
  }

  async status(sessionId: string): Promise<SessionReport | null> {
    const state = this.sessions.get(sessionId)
    return state ? { sessionId, state } : null
  }

  async list(): Promise<SessionReport[]> {
    return [...this.sessions].map(([sessionId, state]) => ({ sessionId, state }))
  }

  async reconcile(known: readonly string[]): Promise<SessionReport[]> {
    this.calls.push(`reconcile ${[...known].sort().join(",")}`)
    const reports: SessionReport[] = []
    for (const id of known) {
      const state = this.sessions.get(id)
      reports.push(state ? { sessionId: id, state } : { sessionId: id, state: "failed", reason: "Its container is gone." })
    }
    for (const id of [...this.sessions.keys()]) if (!known.includes(id)) this.sessions.delete(id)
    return reports
  }

  async capacity(): Promise<Capacity> {
    const running = [...this.sessions.values()].filter((s) => s === "running").length
    return { maxSessions: this.maxSessions, runningSessions: running }
  }

  async vncTarget(sessionId: string): Promise<VncTarget | null> {
    return this.sessions.get(sessionId) === "running" ? this.vnc : null
  }
}
