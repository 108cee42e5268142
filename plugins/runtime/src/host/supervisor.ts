// PluginSupervisor: runs the plugin runtime for the core — installs, hooks under fail modes, host calls, restarts.
import { type HookName, LoadedInstall, type PluginErrorCode, type PluginEvent, type RuntimeStats } from "@streamspace/schemas"
import { Value } from "@sinclair/typebox/value"
import { assertHookInput, fallbackOutcome, type HookOutcome, outputProblem } from "./hook-checks.ts"
import { withDeadline } from "./deadline.ts"
import type { HostApi } from "./host-api.ts"
import { DEFAULT_OPERATOR_LIMITS, eventMatches, type OperatorLimits } from "./install-check.ts"
import {
  type CrashBackoff,
  createRecord,
  DEFAULT_CRASH_BACKOFF,
  type InstallRecord,
  type InstallSpec,
  type InstallState,
  type InstallStatus,
  recordCrash,
  statusOf,
} from "./installs.ts"
import type { HostCallMessage, LinkAnswer, RuntimeLink } from "./runtime-link.ts"
import { defaultLog, RuntimeRestarts, type SupervisorLog } from "./runtime-restarts.ts"
import { NodeIpcTransport, type PluginTransport } from "./transport.ts"

export type { InstallSpec, InstallState, InstallStatus }

export type EventOutcome =
  | { installId: string; delivered: true }
  | { installId: string; delivered: false; error: { code: PluginErrorCode; message: string } }

export interface SupervisorOptions {
  host: HostApi
  transport?: PluginTransport
  limits?: Partial<OperatorLimits>
  /** Extra time the core allows over a call's own deadline for the IPC round trip. */
  ipcGraceMs?: number
  helloTimeoutMs?: number
  restartBackoff?: { initialMs: number; maxMs: number }
  crashBackoff?: CrashBackoff
  onStatus?: (status: InstallStatus) => void
  log?: SupervisorLog
}

export class PluginSupervisor {
  private readonly installs = new Map<string, InstallRecord>()
  private readonly limits: OperatorLimits
  private readonly runtime: RuntimeRestarts
  private readonly crashBackoff: CrashBackoff
  private readonly ipcGraceMs: number
  private readonly log: SupervisorLog

  constructor(private readonly options: SupervisorOptions) {
    this.limits = { ...DEFAULT_OPERATOR_LIMITS, ...options.limits }
    this.crashBackoff = options.crashBackoff ?? DEFAULT_CRASH_BACKOFF
    this.ipcGraceMs = options.ipcGraceMs ?? 250
    this.log = options.log ?? defaultLog
    this.runtime = new RuntimeRestarts({
      transport: options.transport ?? new NodeIpcTransport(),
      helloTimeoutMs: options.helloTimeoutMs ?? 10_000,
      backoff: options.restartBackoff ?? { initialMs: 100, maxMs: 5000 },
      log: this.log,
      handlers: {
        hostCall: (link, message) => void this.answerHostCall(link, message),
        crashed: (message) => {
          const record = this.installs.get(message.installId)
          if (record?.state === "running") this.failed(record, message.code, message.message)
        },
        connected: () => {
          for (const record of this.installs.values())
            if (record.state === "loading" || record.state === "running") void this.load(record)
        },
        lost: () => {
          for (const record of this.installs.values()) if (record.state === "running") this.setState(record, "loading")
        },
      },
    })
  }

  /** Starts the runtime and waits for its hello. Rejects if that fails, and keeps retrying with backoff meanwhile. */
  start(): Promise<void> {
    return this.runtime.start()
  }

  /** Stops the runtime for good; installs are forgotten. */
  async stop(): Promise<void> {
    for (const record of this.installs.values()) clearTimeout(record.retryTimer)
    this.installs.clear()
    await this.runtime.stop()
  }

  /** The runtime's process id, while one is up (for diagnostics and tests). */
  get runtimePid(): number | undefined {
    return this.runtime.link?.pid
  }

  /** Checks and loads an install (replacing one with the same id); resolves with its status after the first attempt. */
  async install(spec: InstallSpec): Promise<InstallStatus> {
    const record = createRecord(spec, this.limits, this.options.host)
    this.forget(spec.installId)
    this.installs.set(spec.installId, record)
    await this.load(record)
    return statusOf(record)
  }

  async uninstall(installId: string): Promise<void> {
    if (!this.forget(installId)) return
    await this.runtime.link?.request({ type: "unload", installId }, 2000)
  }

  status(installId: string): InstallStatus | undefined {
    const record = this.installs.get(installId)
    return record && statusOf(record)
  }

  statuses(): InstallStatus[] {
    return [...this.installs.values()].map((r) => statusOf(r))
  }

  /** Installs that declared `hook`, in the order the core should ask them. Crashed ones stay: their fail mode decides. */
  hookSubscribers(hook: HookName): string[] {
    return [...this.installs.values()]
      .filter((r) => r.failModes.has(hook))
      .sort((a, b) => (a.spec.priority ?? 100) - (b.spec.priority ?? 100) || a.spec.installId.localeCompare(b.spec.installId))
      .map((r) => r.spec.installId)
  }

  eventSubscribers(type: string): string[] {
    return [...this.installs.values()]
      .filter((r) => r.manifest.events.some((p) => eventMatches(p, type)))
      .map((r) => r.spec.installId)
  }

  /** Asks every subscriber in order; stops early when `until` says so (e.g. at the first deny). */
  async runHook<H extends HookName>(
    hook: H,
    input: unknown,
    until?: (outcome: HookOutcome<H>) => boolean,
  ): Promise<HookOutcome<H>[]> {
    const outcomes: HookOutcome<H>[] = []
    for (const installId of this.hookSubscribers(hook)) {
      const outcome = await this.callHook(hook, installId, input)
      outcomes.push(outcome)
      if (until?.(outcome)) break
    }
    return outcomes
  }

  /** Calls one install's hook. Always resolves: with the plugin's checked answer, or with its fail mode's. */
  async callHook<H extends HookName>(hook: H, installId: string, input: unknown): Promise<HookOutcome<H>> {
    assertHookInput(hook, input)
    const record = this.installs.get(installId)
    const mode = record?.failModes.get(hook)
    if (record === undefined || mode === undefined) throw new Error(`Install ${installId} does not answer hook ${hook}.`)
    const pluginId = record.manifest.id
    const deadline = record.limits.callTimeoutMs + this.ipcGraceMs
    const fail = (code: PluginErrorCode, message: string) => fallbackOutcome(hook, installId, pluginId, mode, { code, message })
    if (record.state === "loading") await withDeadline(record.loading, deadline, () => undefined)
    if (record.state !== "running")
      return fail(record.error?.code ?? "PLUGIN_NOT_LOADED", record.error?.message ?? `The plugin is ${record.state}.`)
    const link = this.runtime.link
    if (link === undefined) return fail("RUNTIME_UNAVAILABLE", "The plugin runtime is restarting.")
    const answer = await link.request(
      { type: "callHook", installId, hook, input, timeoutMs: record.limits.callTimeoutMs },
      deadline,
    )
    if (!answer.ok) return fail(answer.code, answer.message)
    const problem = outputProblem(hook, answer.value)
    if (problem !== undefined) {
      this.failed(record, "PLUGIN_BAD_RESULT", problem)
      void link.request({ type: "unload", installId }, 2000)
      return fail("PLUGIN_BAD_RESULT", problem)
    }
    return { installId, output: answer.value as HookOutcome<H>["output"], decidedBy: "plugin" }
  }

  /** Delivers one event to one install (the core's dispatcher retries on failure: at least once). */
  async deliverEvent(installId: string, event: PluginEvent): Promise<EventOutcome> {
    const record = this.installs.get(installId)
    if (record === undefined) throw new Error(`Install ${installId} is not installed.`)
    const deadline = record.limits.callTimeoutMs + this.ipcGraceMs
    if (record.state === "loading") await withDeadline(record.loading, deadline, () => undefined)
    const link = this.runtime.link
    const answer: LinkAnswer =
      record.state !== "running" || link === undefined
        ? {
            ok: false,
            code: record.error?.code ?? "PLUGIN_NOT_LOADED",
            message: record.error?.message ?? `The plugin is ${record.state}.`,
          }
        : await link.request({ type: "deliverEvent", installId, event, timeoutMs: record.limits.callTimeoutMs }, deadline)
    return answer.ok
      ? { installId, delivered: true }
      : { installId, delivered: false, error: { code: answer.code, message: answer.message } }
  }

  /** CPU time, heap and call counts per loaded install, measured by the runtime. */
  async stats(): Promise<RuntimeStats> {
    const answer = await (this.runtime.link?.request({ type: "stats" }, 2000) ??
      Promise.resolve<LinkAnswer>({ ok: false, code: "RUNTIME_UNAVAILABLE", message: "The plugin runtime is restarting." }))
    if (!answer.ok) throw new Error(`Plugin runtime stats are unavailable: ${answer.message}`)
    return answer.value as RuntimeStats
  }

  private load(record: InstallRecord): Promise<void> {
    const { installId } = record.spec
    const current = () => this.installs.get(installId) === record
    record.loading = (async () => {
      this.setState(record, "loading")
      const link = this.runtime.link
      if (link === undefined) return // stays "loading": every such install is loaded when the runtime is back
      const { manifest, spec, limits } = record
      const answer = await link.request(
        {
          type: "load",
          installId,
          pluginId: manifest.id,
          version: manifest.version,
          bundle: spec.bundle,
          config: spec.config,
          limits,
        },
        limits.loadTimeoutMs + this.ipcGraceMs,
      )
      if (!current() || (!answer.ok && answer.code === "RUNTIME_UNAVAILABLE")) return
      if (!answer.ok) return this.failed(record, answer.code, answer.message)
      const loaded = Value.Check(LoadedInstall, answer.value) ? answer.value : { hooks: [], events: [] }
      const missing = manifest.hooks.map((h) => h.name).filter((name) => !loaded.hooks.includes(name))
      if (missing.length > 0) {
        void link.request({ type: "unload", installId }, 2000)
        return this.failed(
          record,
          "PLUGIN_BAD_EXPORT",
          `The manifest declares ${missing.join(", ")} but the bundle exports no handler for it.`,
        )
      }
      record.runningSince = Date.now()
      this.setState(record, "running")
    })()
    return record.loading
  }

  /** Marks an install crashed and schedules a retry, or disables it when retrying cannot help. */
  private failed(record: InstallRecord, code: PluginErrorCode, message: string): void {
    const delay = recordCrash(record, code, message, this.crashBackoff)
    this.log.warn({ installId: record.spec.installId, pluginId: record.manifest.id, code, crashes: record.crashes }, message)
    if (delay === undefined) {
      this.setState(record, "disabled")
      return
    }
    clearTimeout(record.retryTimer)
    record.retryTimer = setTimeout(() => {
      record.retryTimer = undefined
      record.retryAt = undefined
      if (this.installs.get(record.spec.installId) === record) void this.load(record)
    }, delay)
    this.setState(record, "crashed")
  }

  private async answerHostCall(link: RuntimeLink, message: HostCallMessage): Promise<void> {
    const { id, installId } = message
    const record = this.installs.get(installId)
    if (record === undefined || record.state === "crashed" || record.state === "disabled") {
      return link.send({ type: "hostError", id, installId, code: "PLUGIN_NOT_LOADED", message: "The plugin is not running." })
    }
    const timeoutMs = record.limits.callTimeoutMs
    const outcome = await withDeadline(record.host(message.method, message.args), timeoutMs, () => ({
      code: "HOST_CALL_FAILED" as const,
      message: `${message.method} did not finish within ${timeoutMs} ms.`,
    }))
    link.send(
      "value" in outcome
        ? { type: "hostResult", id, installId, value: outcome.value ?? null }
        : { type: "hostError", id, installId, ...outcome },
    )
  }

  private forget(installId: string): boolean {
    const record = this.installs.get(installId)
    if (record === undefined) return false
    clearTimeout(record.retryTimer)
    this.installs.delete(installId)
    return true
  }

  private setState(record: InstallRecord, state: InstallState): void {
    if (state === "running") record.error = undefined
    record.state = state
    this.options.onStatus?.(statusOf(record))
  }
}
