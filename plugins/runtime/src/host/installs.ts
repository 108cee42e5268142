// An install as the supervisor tracks it: spec, checked manifest, limits, state, crash history.
import type { FailMode, HookName, PluginErrorCode, PluginManifest, PluginPermissions, SandboxLimits } from "@streamspace/schemas"
import { type CheckedHost, checkedHost } from "./checked-host.ts"
import type { HostApi } from "./host-api.ts"
import { checkGrant, checkManifest, type OperatorLimits, sandboxLimits } from "./install-check.ts"

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
export interface CrashBackoff {
  initialMs: number
  maxMs: number
  /** Crashes in a row after which the install is disabled instead of retried. */
  maxCrashes: number
  /** An install that ran this long before crashing starts its count afresh. */
  stableAfterMs: number
}
export const DEFAULT_CRASH_BACKOFF: CrashBackoff = { initialMs: 1000, maxMs: 60_000, maxCrashes: 5, stableAfterMs: 60_000 }

export interface InstallRecord {
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

/** Checks the spec (manifest, grant) and makes its record; throws PluginInstallError. */
export const createRecord = (spec: InstallSpec, operator: OperatorLimits, host: HostApi): InstallRecord => {
  const manifest = checkManifest(spec.manifest)
  checkGrant(manifest.permissions, spec.granted)
  return {
    spec,
    manifest,
    limits: sandboxLimits(manifest, operator),
    host: checkedHost({ installId: spec.installId, pluginId: manifest.id, permissions: spec.granted }, host),
    failModes: new Map(manifest.hooks.map((h) => [h.name, h.failMode])),
    state: "loading",
    crashes: 0,
    loading: Promise.resolve(),
  }
}

/** Load failures that a retry of the same bundle cannot fix. */
const PERMANENT: ReadonlySet<PluginErrorCode> = new Set(["PLUGIN_LOAD_FAILED", "PLUGIN_BAD_EXPORT"])

/** Counts a crash on the record; returns the delay before the next try, or undefined to disable it. */
export const recordCrash = (
  record: InstallRecord,
  code: PluginErrorCode,
  message: string,
  backoff: CrashBackoff,
): number | undefined => {
  const now = Date.now()
  if (record.runningSince !== undefined && now - record.runningSince > backoff.stableAfterMs) record.crashes = 0
  record.runningSince = undefined
  record.crashes++
  record.error = { code, message, at: new Date(now).toISOString() }
  record.retryAt = undefined
  if (PERMANENT.has(code) || record.crashes >= backoff.maxCrashes) return undefined
  const delay = Math.min(backoff.initialMs * 2 ** (record.crashes - 1), backoff.maxMs)
  record.retryAt = now + delay
  return delay
}

export const statusOf = (record: InstallRecord): InstallStatus => ({
  installId: record.spec.installId,
  pluginId: record.manifest.id,
  version: record.manifest.version,
  state: record.state,
  error: record.error,
  crashes: record.crashes,
  retryAt: record.retryAt === undefined ? undefined : new Date(record.retryAt).toISOString(),
})
