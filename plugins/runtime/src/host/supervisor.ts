// PluginSupervisor: runs the plugin runtime for the core — installs, hooks under fail modes, host calls, restarts.
import {
  type FailMode,
  type HookName,
  type PluginErrorCode,
  type PluginEvent,
  type PluginManifest,
  type PluginPermissions,
  type RuntimeStats,
  type SandboxLimits,
  LoadedInstall,
} from "@streamspace/schemas"
import { Value } from "@sinclair/typebox/value"
import { type CheckedHost, checkedHost } from "./checked-host.ts"
import { assertHookInput, fallbackOutcome, type HookOutcome, outputProblem } from "./hook-checks.ts"
import { withDeadline } from "./deadline.ts"
import type { HostApi } from "./host-api.ts"
import {
  checkGrant,
  checkManifest,
  DEFAULT_OPERATOR_LIMITS,
  eventMatches,
  type OperatorLimits,
  sandboxLimits,
} from "./install-check.ts"
import type { HostCallMessage, LinkAnswer, RuntimeLink } from "./runtime-link.ts"
import { defaultLog, RuntimeRestarts, type SupervisorLog } from "./runtime-restarts.ts"
import { NodeIpcTransport, type PluginTransport } from "./transport.ts"

export interface InstallSpec {
  installId: string
  /** manifest.json as stored; checked here. */
  manifest: unknown
  bundle: string
  config: unknown
  /** What the admin granted: the manifest's permissions or fewer. */
  granted: PluginPermissions
  /** Lower runs first when several installs answer the same hook. */
  priority?: number
}

export type InstallState = "loading" | "running" | "crashed" | "disabled"
export interface InstallStatus {
  installId: string
  pluginId: string
  version: string
  state: InstallState
  error?: { code: PluginErrorCode; message: string; at: string }
  /** Crashes in a row; reset once the install has run for `crashBackoff.stableAfterMs`. */
  crashes: number
  retryAt?: string
}
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
  crashBackoff?: { initialMs: number; maxMs: number; maxCrashes: number; stableAfterMs: number }
  onStatus?: (status: InstallStatus) => void
  log?: SupervisorLog
}

interface InstallRecord {
  spec: InstallSpec
  manifest: PluginManifest
  limits: SandboxLimits
  host: CheckedHost
  failModes: Map<HookName, FailMode>
  state: InstallState
  error?: InstallStatus["error"]
  crashes: number
  runningSince?: number
  retryAt?: number
  retryTimer?: ReturnType<typeof setTimeout>
  loading: Promise<void>
}

/** Load failures that a retry of the same bundle cannot fix. */
const PERMANENT: ReadonlySet<PluginErrorCode> = new Set(["PLUGIN_LOAD_FAILED", "PLUGIN_BAD_EXPORT"])

export class PluginSupervisor {
  private readonly installs = new Map<string, InstallRecord>()
  private readonly limits: OperatorLimits
  private readonly runtime: RuntimeRestarts
  private readonly crashBackoff: NonNullable<SupervisorOptions["crashBackoff"]>
  private readonly ipcGraceMs: number
  private readonly log: SupervisorLog

  constructor(private readonly options: SupervisorOptions) {
    this.limits = { ...DEFAULT_OPERATOR_LIMITS, ...options.limits }
    this.crashBackoff = options.crashBackoff ?? { initialMs: 1000, maxMs: 60_000, maxCrashes: 5, stableAfterMs: 60_000 }
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
    const manifest = checkManifest(spec.manifest)
    checkGrant(manifest.permissions, spec.granted)
    this.forget(spec.installId)
    const record: InstallRecord = {
      spec,
      manifest,
      limits: sandboxLimits(manifest, this.limits),
      host: checkedHost({ installId: spec.installId, pluginId: manifest.id, permissions: spec.granted }, this.options.host),
      failModes: new Map(manifest.hooks.map((h) => [h.name, h.failMode])),
      state: "loading",
      crashes: 0,
      loading: Promise.resolve(),
    }
    this.installs.set(spec.installId, record)
    await this.load(record)
    return this.statusOf(record)
  }

  async uninstall(installId: string): Promise<void> {
    if (!this.forget(installId)) return
    await this.runtime.link?.request({ type: "unload", installId }, 2000)
  }

  status(installId: string): InstallStatus | undefined {
    const record = this.installs.get(installId)
    return record && this.statusOf(record)
  }

  statuses(): InstallStatus[] {
    return [...this.installs.values()].map((r) => this.statusOf(r))
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
    const { initialMs, maxMs, maxCrashes, stableAfterMs } = this.crashBackoff
    const now = Date.now()
    if (record.runningSince !== undefined && now - record.runningSince > stableAfterMs) record.crashes = 0
    record.runningSince = undefined
    record.crashes++
    record.error = { code, message, at: new Date(now).toISOString() }
    this.log.warn({ installId: record.spec.installId, pluginId: record.manifest.id, code, crashes: record.crashes }, message)
    if (PERMANENT.has(code) || record.crashes >= maxCrashes) {
      this.setState(record, "disabled")
      return
    }
    const delay = Math.min(initialMs * 2 ** (record.crashes - 1), maxMs)
    record.retryAt = now + delay
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
    this.options.onStatus?.(this.statusOf(record))
  }

  private statusOf(record: InstallRecord): InstallStatus {
    return {
      installId: record.spec.installId,
      pluginId: record.manifest.id,
      version: record.manifest.version,
      state: record.state,
      error: record.error,
      crashes: record.crashes,
      retryAt: record.retryAt === undefined ? undefined : new Date(record.retryAt).toISOString(),
    }
  }
}
