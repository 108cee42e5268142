// One V8 isolate running one plugin install: load, call hooks and events, bridge host calls, stop on misbehaviour.
import ivm from "isolated-vm"
import { type HostMethod, type InstallStats, isHostMethod, type PluginErrorCode, type SandboxLimits } from "@streamspace/schemas"
import { ANSWER, BRIDGE_GLOBALS, harnessSource, hostApiSource, REFUSED } from "./sandbox-sources.ts"

export class SandboxError extends Error {
  constructor(
    readonly code: PluginErrorCode,
    message: string,
  ) {
    super(message)
  }
}

export interface SandboxSpec {
  installId: string
  pluginId: string
  version: string
  bundle: string
  config: unknown
  limits: SandboxLimits
}

/** What the sandbox needs from the runtime around it. */
export interface SandboxHost {
  /** Forward a host call to the core; `id` is unique in this process. */
  hostCall(id: number, method: HostMethod, args: unknown[]): void
  /** The install was stopped; the runtime forgets it and tells the core. */
  crashed(sandbox: Sandbox, code: PluginErrorCode, message: string): void
}

let nextHostCallId = 1
const HOST_API_SPECIFIER = "host:api"

const classify = (error: unknown, disposed: boolean): SandboxError => {
  if (error instanceof SandboxError) return error
  const message = error instanceof Error ? error.message : String(error)
  if (/memory limit/i.test(message)) return new SandboxError("PLUGIN_OUT_OF_MEMORY", `The plugin ran out of memory: ${message}`)
  if (/timed out/i.test(message)) return new SandboxError("PLUGIN_TIMEOUT", "The plugin ran longer than its time limit.")
  if (disposed) return new SandboxError("PLUGIN_CRASHED", `The plugin's isolate stopped: ${message}`)
  return new SandboxError("PLUGIN_CRASHED", message)
}

interface ActiveCall {
  resolve(answer: string): void
  reject(error: SandboxError): void
  timer?: ReturnType<typeof setTimeout>
}

export class Sandbox {
  private crash: SandboxError | undefined
  private readonly activeCalls = new Map<number, ActiveCall>()
  private readonly pendingHostCalls = new Set<number>()
  private loading = false
  /** Set when the plugin flooded the host; the install is stopped right after the current entry. */
  private stopping: string | undefined
  private nextCallId = 1
  private calls = 0
  private hostCalls = 0
  private startRef!: ivm.Reference<(id: number, kind: string, name: string, input: string) => void>
  private settleRef!: ivm.Reference<(id: number, ok: boolean, payload?: string) => void>

  private constructor(
    readonly spec: SandboxSpec,
    private readonly isolate: ivm.Isolate,
    private readonly host: SandboxHost,
  ) {}

  /** Compiles and evaluates the bundle; rejects with a SandboxError if it cannot run. */
  static async load(spec: SandboxSpec, host: SandboxHost): Promise<{ sandbox: Sandbox; hooks: string[]; events: string[] }> {
    const isolate = new ivm.Isolate({ memoryLimit: spec.limits.memoryMb })
    const sandbox = new Sandbox(spec, isolate, host)
    sandbox.loading = true
    const timer = setTimeout(
      () =>
        void sandbox.fail("PLUGIN_TIMEOUT", `The plugin did not load within ${spec.limits.loadTimeoutMs} ms.`).catch(() => {}),
      spec.limits.loadTimeoutMs,
    )
    try {
      const described = await sandbox.evaluate()
      if (sandbox.crash) throw sandbox.crash
      return { sandbox, ...described }
    } catch (error) {
      throw sandbox.crash ?? (await sandbox.fail(classify(error, isolate.isDisposed)).catch((e: SandboxError) => e))
    } finally {
      clearTimeout(timer)
      sandbox.loading = false
    }
  }

  private async evaluate(): Promise<{ hooks: string[]; events: string[] }> {
    const { isolate, spec } = this
    const timeout = spec.limits.loadTimeoutMs
    const context = await isolate.createContext()
    // WebAssembly memory lives outside the heap that memoryLimit caps (a plugin could fill gigabytes);
    // shared memory and Atomics have no use without threads. None of them is a plugin's business.
    await context.eval("delete globalThis.WebAssembly; delete globalThis.SharedArrayBuffer; delete globalThis.Atomics")
    const global = context.global
    await global.set(BRIDGE_GLOBALS.send, new ivm.Callback((method: string, args: string) => this.onHostCall(method, args)))
    await global.set(BRIDGE_GLOBALS.complete, new ivm.Callback((id: number, answer: string) => this.onComplete(id, answer)))
    await global.set(BRIDGE_GLOBALS.config, new ivm.ExternalCopy(spec.config ?? null).copyInto())
    await global.set(
      BRIDGE_GLOBALS.install,
      new ivm.ExternalCopy({ id: spec.installId, pluginId: spec.pluginId, version: spec.version }).copyInto(),
    )
    const hostApi = await isolate.compileModule(hostApiSource(), { filename: HOST_API_SPECIFIER })
    let plugin: ivm.Module
    try {
      plugin = await isolate.compileModule(spec.bundle, { filename: `plugin:${spec.pluginId}@${spec.version}` })
    } catch (error) {
      throw new SandboxError("PLUGIN_LOAD_FAILED", `The bundle does not compile: ${(error as Error).message}`)
    }
    const harness = await isolate.compileModule(harnessSource(), { filename: "harness" })
    const onlyHostApi = (specifier: string) => {
      if (specifier === HOST_API_SPECIFIER) return hostApi
      throw new SandboxError("PLUGIN_LOAD_FAILED", `The bundle imports "${specifier}"; a plugin may import only "host:api".`)
    }
    try {
      await plugin.instantiate(context, onlyHostApi)
    } catch (error) {
      throw error instanceof SandboxError ? error : new SandboxError("PLUGIN_LOAD_FAILED", (error as Error).message)
    }
    try {
      await plugin.evaluate({ timeout })
    } catch (error) {
      const failure = classify(error, isolate.isDisposed)
      throw failure.code === "PLUGIN_CRASHED"
        ? new SandboxError("PLUGIN_THREW", `The plugin threw while loading: ${failure.message}`)
        : failure
    }
    await harness.instantiate(context, (specifier) => (specifier === "plugin" ? plugin : hostApi))
    await harness.evaluate({ timeout })
    const ns = harness.namespace
    this.startRef = await ns.get("__start", { reference: true })
    this.settleRef = await ns.get("__settle", { reference: true })
    const describe: ivm.Reference<() => string> = await ns.get("__describe", { reference: true })
    const described = JSON.parse(await describe.apply(undefined, [], { timeout })) as {
      isPlugin: boolean
      hooks: string[]
      events: string[]
    }
    if (!described.isPlugin) {
      throw new SandboxError(
        "PLUGIN_BAD_EXPORT",
        "The bundle's default export is not a plugin; export default definePlugin({ hooks, events }).",
      )
    }
    return { hooks: described.hooks, events: described.events }
  }

  /** Calls a hook handler; resolves with its output, rejects with a SandboxError. */
  callHook(name: string, input: unknown, timeoutMs: number): Promise<unknown> {
    return this.invoke("h", name, input, timeoutMs)
  }

  deliverEvent(type: string, event: unknown, timeoutMs: number): Promise<unknown> {
    return this.invoke("e", type, event, timeoutMs)
  }

  /**
   * Enters the isolate synchronously on this thread: a plugin that answers without waiting on the
   * host is done before applySync returns, with no thread hop and no timer. A call still waiting
   * afterwards gets a watchdog for the rest of its deadline; past it the install is stopped, since
   * stray code may still be running in it.
   */
  private async invoke(kind: "h" | "e", name: string, input: unknown, timeoutMs: number): Promise<unknown> {
    if (this.crash) throw this.crash
    this.calls++
    const id = this.nextCallId++
    const started = performance.now()
    const answer = await new Promise<string>((resolve, reject) => {
      const call: ActiveCall = { resolve, reject }
      this.activeCalls.set(id, call)
      try {
        this.startRef.applySync(undefined, [id, kind, name, JSON.stringify(input)], { timeout: timeoutMs })
      } catch (error) {
        void this.fail(classify(error, this.isolate.isDisposed)).catch(() => {})
        return
      }
      if (this.activeCalls.has(id)) {
        const left = Math.max(1, timeoutMs - (performance.now() - started))
        call.timer = setTimeout(
          () => void this.fail("PLUGIN_TIMEOUT", `The plugin did not answer within ${timeoutMs} ms.`).catch(() => {}),
          left,
        )
      }
    })
    return this.interpret(answer, kind)
  }

  private onComplete(id: number, answer: string): void {
    const call = this.activeCalls.get(id)
    if (call === undefined) return
    this.activeCalls.delete(id)
    clearTimeout(call.timer)
    call.resolve(answer)
  }

  private interpret(answer: unknown, kind: "h" | "e"): unknown {
    if (typeof answer !== "string") return this.fail("PLUGIN_BAD_RESULT", "The harness answered with something other than text.")
    const body = answer.slice(1)
    switch (answer[0]) {
      case ANSWER.ok:
        if (body.length > this.spec.limits.maxPayloadBytes) {
          return this.fail(
            "PLUGIN_RESULT_TOO_LARGE",
            `The plugin answered ${body.length} bytes; the limit is ${this.spec.limits.maxPayloadBytes}.`,
          )
        }
        return JSON.parse(body)
      case ANSWER.noHandler:
        throw new SandboxError("PLUGIN_NO_HANDLER", body)
      case ANSWER.threw:
        // An event handler throws to ask for the event again (at least once): a failed delivery, not a crash.
        if (kind === "e") throw new SandboxError("PLUGIN_THREW", `The event handler threw: ${body.slice(0, 4000)}`)
        return this.fail("PLUGIN_THREW", `The plugin threw: ${body.slice(0, 4000)}`)
      default:
        return this.fail("PLUGIN_BAD_RESULT", `The plugin's answer is not JSON: ${body.slice(0, 4000)}`)
    }
  }

  /**
   * The isolate calls this synchronously for every host call a plugin makes. A refusal is a negative
   * number (REFUSED), not an exception: a flooding plugin makes thousands, and throwing across the
   * isolate boundary is costly. The flood itself stops the install once the current entry returns.
   */
  private onHostCall(method: string, args: string): number {
    if (this.crash || this.stopping !== undefined) return REFUSED.stopped
    if (this.activeCalls.size === 0 && !this.loading) return REFUSED.outsideCall
    if (typeof method !== "string" || !isHostMethod(method) || typeof args !== "string") return REFUSED.malformed
    const { maxPendingHostCalls, maxPayloadBytes } = this.spec.limits
    if (this.pendingHostCalls.size >= maxPendingHostCalls) {
      return this.stopSoon(`More than ${maxPendingHostCalls} host calls were pending at once.`)
    }
    if (args.length > maxPayloadBytes)
      return this.stopSoon(`A host call carried ${args.length} bytes; the limit is ${maxPayloadBytes}.`)
    const id = nextHostCallId++
    this.hostCalls++
    this.pendingHostCalls.add(id)
    this.host.hostCall(id, method, JSON.parse(args) as unknown[])
    return id
  }

  private stopSoon(reason: string): number {
    this.stopping = reason
    queueMicrotask(() => void this.fail("PLUGIN_FLOODED_HOST", reason).catch(() => {}))
    return REFUSED.stopped
  }

  /** Delivers the host's answer to a pending host call back into the isolate (synchronously, like invoke). */
  settleHostCall(id: number, outcome: { value: unknown } | { code: string; message: string }): void {
    if (this.crash || !this.pendingHostCalls.delete(id)) return
    const ok = "value" in outcome
    const payload = ok ? (outcome.value === undefined ? undefined : JSON.stringify(outcome.value)) : JSON.stringify(outcome)
    try {
      this.settleRef.applySync(undefined, [id, ok, payload], {
        arguments: { copy: true },
        timeout: this.spec.limits.callTimeoutMs,
      })
    } catch (error) {
      void this.fail(classify(error, this.isolate.isDisposed)).catch(() => {})
    }
  }

  /** Stops the install for good and fails everything in flight; always rejects with the reason. */
  fail(codeOrError: PluginErrorCode | SandboxError, message = ""): Promise<never> {
    if (!this.crash) {
      this.crash = codeOrError instanceof SandboxError ? codeOrError : new SandboxError(codeOrError, message)
      this.disposeIsolate()
      this.rejectAll(this.crash)
      this.host.crashed(this, this.crash.code, this.crash.message)
    }
    return Promise.reject(this.crash)
  }

  /** Unloads on request: no crash report, in-flight calls fail as not loaded. */
  dispose(): void {
    if (this.crash) return
    this.crash = new SandboxError("PLUGIN_NOT_LOADED", "The plugin was unloaded.")
    this.disposeIsolate()
    this.rejectAll(this.crash)
  }

  private rejectAll(error: SandboxError): void {
    for (const call of this.activeCalls.values()) {
      clearTimeout(call.timer)
      call.reject(error)
    }
    this.activeCalls.clear()
  }

  private disposeIsolate(): void {
    this.pendingHostCalls.clear()
    if (!this.isolate.isDisposed) this.isolate.dispose()
  }

  stats(): InstallStats {
    const alive = !this.isolate.isDisposed
    return {
      installId: this.spec.installId,
      cpuTimeUs: alive ? Number(this.isolate.cpuTime / 1000n) : 0,
      wallTimeUs: alive ? Number(this.isolate.wallTime / 1000n) : 0,
      heapUsedBytes: alive ? this.isolate.getHeapStatisticsSync().used_heap_size : 0,
      calls: this.calls,
      hostCalls: this.hostCalls,
      pendingHostCalls: this.pendingHostCalls.size,
    }
  }
}
