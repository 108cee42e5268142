// startPluginHarness: runs a plugin bundle in the real runtime (Node + isolated-vm) against an InMemoryHostApi, for authors' tests.
import {
  type EventOutcome,
  type HookOutcome,
  InMemoryHostApi,
  type InMemoryHostData,
  type InstallStatus,
  type OperatorLimits,
  PluginSupervisor,
} from "@streamspace/plugin-runtime/host"
import type { HookInput, HookName, PluginManifest, PluginPermissions } from "@streamspace/schemas"
import { buildPlugin } from "./build.ts"

export interface PluginHarnessOptions {
  manifest: PluginManifest
  /** A built bundle; or give `entry` and the harness builds it the way `streamspace-plugin build` does. */
  bundle?: string
  entry?: string
  config?: unknown
  /** Defaults to everything the manifest asks for. */
  granted?: PluginPermissions
  /** Users, sessions and secrets the in-memory host starts with. */
  data?: InMemoryHostData
  limits?: Partial<OperatorLimits>
}

export interface PluginHarness extends AsyncDisposable {
  readonly installId: string
  /** The in-memory host: inspect its logs, kv and data, or change them between calls. */
  readonly host: InMemoryHostApi
  status(): InstallStatus
  hook<H extends HookName>(hook: H, input: HookInput<H>): Promise<HookOutcome<H>>
  /** Delivers an event; give `id` to deliver the same event again, as the core's dispatcher does on a retry. */
  event(type: string, data?: Record<string, unknown>, id?: string): Promise<EventOutcome>
  stop(): Promise<void>
}

const INSTALL_ID = "test-install"

export const startPluginHarness = async (options: PluginHarnessOptions): Promise<PluginHarness> => {
  const bundle = options.bundle ?? (options.entry === undefined ? undefined : (await buildPlugin(options.entry)).code)
  if (bundle === undefined) throw new Error("startPluginHarness needs a bundle or an entry file.")
  const host = new InMemoryHostApi(options.data)
  // No retries: a test should see the crash it caused, not a reloaded plugin.
  const supervisor = new PluginSupervisor({
    host,
    limits: options.limits,
    crashBackoff: { initialMs: 3_600_000, maxMs: 3_600_000, maxCrashes: 1_000, stableAfterMs: 3_600_000 },
  })
  await supervisor.start()
  try {
    await supervisor.install({
      installId: INSTALL_ID,
      manifest: options.manifest,
      bundle,
      config: options.config ?? {},
      granted: options.granted ?? options.manifest.permissions,
    })
  } catch (error) {
    await supervisor.stop()
    throw error
  }
  let eventSeq = 0
  const stop = () => supervisor.stop()
  return {
    installId: INSTALL_ID,
    host,
    status: () => supervisor.status(INSTALL_ID) as InstallStatus,
    hook: (hook, input) => supervisor.callHook(hook, INSTALL_ID, input),
    event: (type, data = {}, id = `test-event-${++eventSeq}`) =>
      supervisor.deliverEvent(INSTALL_ID, { id, type, at: new Date().toISOString(), data }),
    stop,
    [Symbol.asyncDispose]: stop,
  }
}
