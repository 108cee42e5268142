// The plugin host in the core: runs the supervisor, loads enabled installs, records their status, asks their hooks.
import {
  type HookOutcome,
  type InstallState,
  type InstallStatus,
  type HttpLimits,
  HostCallError,
  PluginInstallError,
  PluginSupervisor,
  type SupervisorOptions,
} from "@streamspace/plugin-runtime/host"
import type {
  HookInput,
  HookName,
  PluginActionInput,
  PluginActionOutput,
  PluginError,
  PluginInstallStatus,
  PluginUsage,
} from "@streamspace/schemas"
import type { EventConsumers } from "../events/ports.ts"
import { appendEvent } from "../events/outbox.ts"
import type { CoreDeps } from "../../deps.ts"
import type { Logger } from "../../infra/log.ts"
import type { SessionPolicy } from "../sessions/ports.ts"
import { createCoreHost } from "./core-host.ts"
import { DeniedByPlugin, PluginUnavailable } from "./errors.ts"
import * as repo from "./repo.ts"
import { type PrivateAllowance, parseAllowance, type Resolver } from "./ssrf-guard.ts"

export interface PluginHostOptions {
  /** Run the plugin runtime (a Node child process). Off, installs can be managed but none runs. */
  run: boolean
  /** PLUGIN_MARKETPLACE: a marketplace.json file or a directory holding one. */
  marketplace?: string
  /** The key of plugin secrets (see loadSecretsKey); without it, no secret can be set or read. */
  secretsKey?: Buffer
  http?: Partial<HttpLimits>
  /**
   * PLUGIN_HTTP_ALLOW_PRIVATE: hosts, addresses and CIDR ranges plugins may fetch although they are not
   * public (loopback, private, link-local…). Empty: plugins reach public addresses only.
   */
  httpAllowPrivate?: readonly string[]
  /** DNS for the SSRF guard (tests). */
  httpResolve?: Resolver
  /**
   * How often to re-read the installs and load what another replica installed, changed or
   * disabled (0: never; a single replica sees its own changes at once).
   */
  reconcileIntervalMs?: number
  /** How often installs that declare the `tick` hook are called (default 10 s), on one replica. */
  tickIntervalMs?: number
  /** Tuning for tests and operators: transport, operator limits, backoffs, deadlines. */
  supervisor?: Omit<SupervisorOptions, "host" | "onStatus" | "log">
}

const STATUS_OF: Record<InstallState, PluginInstallStatus> = {
  loading: "loading",
  running: "running",
  crashed: "crashed",
  disabled: "failed",
}

export class PluginHost {
  readonly marketplace: string | undefined
  /** Resolves once the runtime is up (or could not start) and the enabled installs were loaded once. */
  ready: Promise<void> = Promise.resolve()
  private supervisor: PluginSupervisor | undefined
  private writes: Promise<unknown> = Promise.resolve()
  /** What this replica loaded: install id → the row's updatedAt at the time. */
  private readonly loaded = new Map<string, string>()
  private reconcileTimer: ReturnType<typeof setInterval> | undefined
  private readonly log: Logger
  private readonly allowPrivate: PrivateAllowance

  constructor(
    private readonly deps: CoreDeps,
    private readonly options: PluginHostOptions,
  ) {
    this.marketplace = options.marketplace
    this.log = deps.log.child({ module: "plugins" })
    this.allowPrivate = parseAllowance(options.httpAllowPrivate ?? [])
  }

  /** The key of plugin secrets; a control plane built without one (some tests) refuses every secret. */
  readonly secretsKey = (): Buffer => {
    if (this.options.secretsKey === undefined)
      throw new HostCallError("HOST_CALL_FAILED", "This control plane was started without a key for plugin secrets.")
    return this.options.secretsKey
  }

  get running(): boolean {
    return this.supervisor !== undefined
  }

  /** The runtime's process id (diagnostics and tests). */
  get runtimePid(): number | undefined {
    return this.supervisor?.runtimePid
  }

  /** What the runtime measured of a loaded install; null when it is not loaded here or the runtime is restarting. */
  async usageOf(installId: string): Promise<PluginUsage | null> {
    const stats = await this.supervisor?.stats().catch(() => null)
    const mine = stats?.installs.find((s) => s.installId === installId)
    if (!mine) return null
    return {
      cpuTimeMs: mine.cpuTimeUs / 1000,
      wallTimeMs: mine.wallTimeUs / 1000,
      heapUsedBytes: mine.heapUsedBytes,
      calls: mine.calls,
      hostCalls: mine.hostCalls,
    }
  }

  start(): Promise<void> {
    if (!this.options.run || this.supervisor) return this.ready
    const supervisor = new PluginSupervisor({
      ...this.options.supervisor,
      host: createCoreHost(this.deps, {
        secretsKey: this.secretsKey,
        http: this.options.http,
        allowPrivate: this.allowPrivate,
        resolve: this.options.httpResolve,
      }),
      log: this.log,
      onStatus: (status) => this.record(status.installId, STATUS_OF[status.state], status.error ?? null),
    })
    this.supervisor = supervisor
    this.ready = (async () => {
      await supervisor.start().catch((error: unknown) => {
        // Installs stay "loading": their hooks answer by fail mode (closed ones deny) until an operator fixes Node.
        this.log.error({ err: error }, "The plugin runtime did not start; plugin hooks will answer by their fail mode.")
      })
      for (const row of await repo.listInstalls(this.deps.sql, true)) await this.activate(row)
    })()
    const every = this.options.reconcileIntervalMs ?? 0
    if (every > 0) {
      let running = false
      this.reconcileTimer = setInterval(() => {
        if (running) return
        running = true
        this.reconcile()
          .catch((err: unknown) => this.log.error({ err }, "could not re-read the plugin installs"))
          .finally(() => {
            running = false
          })
      }, every)
    }
    return this.ready
  }

  /** Brings this replica's runtime in line with the installs table (another replica may have changed it). */
  async reconcile(): Promise<void> {
    await this.ready
    const supervisor = this.supervisor
    if (supervisor === undefined) return
    const rows = await repo.listInstalls(this.deps.sql, true)
    const enabled = new Set(rows.map((r) => r.id))
    for (const id of [...this.loaded.keys()]) {
      if (enabled.has(id)) continue
      this.loaded.delete(id)
      await supervisor.uninstall(id) // the replica that disabled it has recorded the status
    }
    for (const row of rows) if (this.loaded.get(row.id) !== row.updatedAt) await this.activate(row)
  }

  async stop(): Promise<void> {
    clearInterval(this.reconcileTimer)
    const supervisor = this.supervisor
    this.supervisor = undefined
    await this.ready.catch(() => {})
    await supervisor?.stop()
    await this.settled()
  }

  /** Loads (or reloads, with new config or grant) an enabled install; resolves after the first attempt. */
  async activate(row: repo.InstallRow): Promise<void> {
    const supervisor = this.supervisor
    if (supervisor === undefined) return
    const bundle = await repo.findBundleText(this.deps.sql, row.bundleSha256)
    this.loaded.set(row.id, row.updatedAt)
    try {
      await supervisor.install({
        installId: row.id,
        manifest: row.manifest,
        bundle: bundle ?? "",
        config: row.config,
        granted: row.permissionsGranted,
        priority: row.priority,
      })
    } catch (error) {
      // A stored install this host no longer accepts (e.g. a host:api range a newer core dropped).
      if (!(error instanceof PluginInstallError)) throw error
      this.record(row.id, "failed", { code: "PLUGIN_LOAD_FAILED", message: error.message, at: new Date().toISOString() })
    }
  }

  async deactivate(installId: string): Promise<void> {
    this.loaded.delete(installId)
    await this.supervisor?.uninstall(installId)
    this.record(installId, "stopped", null)
    await this.settled()
  }

  /** Waits for the status writes queued so far. */
  settled(): Promise<void> {
    return this.writes.then(() => {})
  }

  /** Status writes run one after another, in the order the runtime reported them; a failure is also an event. */
  record(installId: string, status: PluginInstallStatus, error: PluginError | null): void {
    const failed = (status === "crashed" || status === "failed") && error !== null
    this.writes = this.writes
      .then(() =>
        this.deps.sql.begin(async (tx) => {
          const pluginId = await repo.recordStatus(tx, installId, status, error)
          if (failed && pluginId !== null)
            await appendEvent(tx, "plugin.failed", { installId, pluginId, code: error.code, message: error.message })
        }),
      )
      .catch((err: unknown) => this.log.error({ err, installId }, "could not record a plugin's status"))
  }

  /** The event dispatcher's view of the plugins: who subscribes (from the table), and delivery through the runtime. */
  readonly eventConsumers: EventConsumers = {
    subscribers: async () =>
      (await repo.listInstalls(this.deps.sql, true))
        .filter((row) => row.manifest.events.length > 0)
        .map((row) => ({ installId: row.id, pluginId: row.pluginId, events: row.manifest.events })),
    deliver: async (installId, event) => {
      await this.ready
      const supervisor = this.supervisor
      if (supervisor === undefined)
        return { ok: false, code: "RUNTIME_UNAVAILABLE", message: "The plugin runtime does not run here." }
      if (supervisor.status(installId) === undefined) await this.reconcile() // enabled by another replica a moment ago
      if (supervisor.status(installId) === undefined)
        return { ok: false, code: "PLUGIN_NOT_LOADED", message: "The install is not enabled on this control plane." }
      const outcome = await supervisor.deliverEvent(installId, event)
      return outcome.delivered ? { ok: true } : { ok: false, ...outcome.error }
    },
  }

  liveStatus(installId: string): InstallStatus | undefined {
    return this.supervisor?.status(installId)
  }

  /**
   * Asks every enabled install that declares `hook`, in priority order, until `until` says stop.
   * Waits for start-up first, so no call slips through before the installs are loaded. Empty when
   * the runtime is off.
   */
  async runHook<H extends HookName>(hook: H, input: HookInput<H>, until?: (outcome: HookOutcome<H>) => boolean) {
    await this.ready
    return (await this.supervisor?.runHook(hook, input, until)) ?? []
  }

  /**
   * One install's plugin.action hook; undefined when this replica does not run it (runtime off, or the
   * install is not loaded here). A failure or timeout answers 503 PLUGIN_UNAVAILABLE through the hook's fallback.
   */
  async runAction(installId: string, input: PluginActionInput): Promise<PluginActionOutput | undefined> {
    await this.ready
    const supervisor = this.supervisor
    if (supervisor === undefined || !supervisor.hookSubscribers("plugin.action").includes(installId)) return undefined
    return (await supervisor.callHook("plugin.action", installId, input)).output
  }

  /** Which plugin an install is (for messages and logs). */
  pluginIdOf(installId: string): string | undefined {
    return this.supervisor?.status(installId)?.pluginId
  }

  /** SessionPolicy: every enabled install that declares session.beforeCreate, in priority order; the first deny wins. */
  readonly sessionPolicy: SessionPolicy = {
    beforeCreate: async (user, { template, resources }) => {
      const input = {
        user: { id: user.id, username: user.username, role: user.role },
        request: { templateId: template.id, templateName: template.name, resources },
      }
      const outcomes = await this.runHook("session.beforeCreate", input, (o) => !o.output.allow)
      const denied = outcomes.find((o) => !o.output.allow)
      if (denied === undefined) return
      const pluginId = this.pluginIdOf(denied.installId) ?? "a policy"
      const { code, reason } = denied.output
      this.log.info(
        { pluginId, userId: user.id, code, decidedBy: denied.decidedBy, error: denied.error },
        "session refused by a plugin",
      )
      if (denied.decidedBy === "fail-closed")
        throw new PluginUnavailable(`${reason ?? `The ${pluginId} plugin could not decide.`} Try again in a moment.`)
      const refusal = new DeniedByPlugin(
        code ?? "DENIED_BY_PLUGIN",
        reason ?? `The ${pluginId} plugin does not allow this session.`,
      )
      await this.deps.sql.begin((tx) =>
        appendEvent(tx, "quota.denied", {
          userId: user.id,
          templateId: template.id,
          code: refusal.code,
          reason: refusal.message,
          pluginId,
        }),
      )
      throw refusal
    },
  }
}
