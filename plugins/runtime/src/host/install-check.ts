// Checks before an install is loaded: the manifest, the host API range, the grant, and the limits it will run under.
import { TypeCompiler } from "@sinclair/typebox/compiler"
import { HOST_API_VERSION, PluginManifest, type PluginPermissions, type SandboxLimits } from "@streamspace/schemas"

/** What the operator allows any install at most; manifests ask within these. */
export interface OperatorLimits {
  maxMemoryMb: number
  maxHookTimeoutMs: number
  loadTimeoutMs: number
  maxPendingHostCalls: number
  maxPayloadBytes: number
}

export const DEFAULT_OPERATOR_LIMITS: OperatorLimits = {
  maxMemoryMb: 128,
  maxHookTimeoutMs: 5000,
  loadTimeoutMs: 5000,
  maxPendingHostCalls: 64,
  maxPayloadBytes: 1024 * 1024,
}

export type PluginInstallErrorCode = "PLUGIN_MANIFEST_INVALID" | "PLUGIN_HOST_API_UNSUPPORTED" | "PLUGIN_GRANT_EXCEEDS_REQUEST"

/** The install cannot be accepted as given; the core renders it as a 422 problem. */
export class PluginInstallError extends Error {
  readonly status = 422
  constructor(
    readonly code: PluginInstallErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message)
  }
}

const manifestCheck = TypeCompiler.Compile(PluginManifest)

const COMPARATOR = /^(\^|~|[<>]=?|=)?v?(\d+|[xX*])(\.(\d+|[xX*])){0,2}(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/
/** npm's range grammar: comparator sets joined by ||, each of comparators or a hyphen range. */
export const isSemverRange = (range: string): boolean =>
  range.split("||").every((set) => {
    const parts = set.trim().split(/\s+/)
    if (parts.length === 3 && parts[1] === "-") return COMPARATOR.test(parts[0] ?? "") && COMPARATOR.test(parts[2] ?? "")
    return parts.every((part) => part === "*" || COMPARATOR.test(part))
  })

export const checkManifest = (value: unknown): PluginManifest => {
  if (!manifestCheck.Check(value)) {
    const first = manifestCheck.Errors(value).First()
    const field = first?.path || "/"
    throw new PluginInstallError(
      "PLUGIN_MANIFEST_INVALID",
      `The manifest is invalid at ${field}: ${first?.message ?? "unknown"}.`,
      field,
    )
  }
  const manifest = value
  const hooks = manifest.hooks.map((h) => h.name)
  const repeated = hooks.find((name, i) => hooks.indexOf(name) !== i)
  if (repeated !== undefined) {
    throw new PluginInstallError("PLUGIN_MANIFEST_INVALID", `The manifest lists hook ${repeated} twice.`, "/hooks")
  }
  const actions = (manifest.actions ?? []).map((a) => a.name)
  const repeatedAction = actions.find((name, i) => actions.indexOf(name) !== i)
  if (repeatedAction !== undefined) {
    throw new PluginInstallError("PLUGIN_MANIFEST_INVALID", `The manifest lists action ${repeatedAction} twice.`, "/actions")
  }
  if (actions.length > 0 && !hooks.includes("plugin.action")) {
    throw new PluginInstallError(
      "PLUGIN_MANIFEST_INVALID",
      "The manifest declares actions but not the plugin.action hook that runs them.",
      "/hooks",
    )
  }
  // Bun.semver reads anything it cannot parse as "*", so the range is checked here first.
  if (!isSemverRange(manifest.hostApi)) {
    throw new PluginInstallError(
      "PLUGIN_MANIFEST_INVALID",
      `hostApi "${manifest.hostApi}" is not a semver range (e.g. ^1.0.0).`,
      "/hostApi",
    )
  }
  if (!Bun.semver.satisfies(HOST_API_VERSION, manifest.hostApi)) {
    throw new PluginInstallError(
      "PLUGIN_HOST_API_UNSUPPORTED",
      `${manifest.id}@${manifest.version} needs host:api ${manifest.hostApi}; this host provides ${HOST_API_VERSION}.`,
      "/hostApi",
    )
  }
  return manifest
}

/** A grant may narrow what the manifest asks for, never widen it. */
export const checkGrant = (requested: PluginPermissions, granted: PluginPermissions): void => {
  const refuse = (field: string, what: string) => {
    throw new PluginInstallError(
      "PLUGIN_GRANT_EXCEEDS_REQUEST",
      `The grant gives ${what}, which the manifest does not ask for.`,
      `/permissions/${field}`,
    )
  }
  for (const url of granted.http?.allow ?? []) if (!requested.http?.allow.includes(url)) refuse("http", `http access to ${url}`)
  if (granted.kv && (!requested.kv || granted.kv.quotaBytes > requested.kv.quotaBytes)) refuse("kv", "a larger kv quota")
  if (granted.sessions && (!requested.sessions || (granted.sessions === "write" && requested.sessions === "read")))
    refuse("sessions", `sessions: ${granted.sessions}`)
  if (granted.users && (!requested.users || (granted.users === "write" && requested.users === "read")))
    refuse("users", `users: ${granted.users}`)
  for (const name of granted.secrets ?? []) if (!requested.secrets?.includes(name)) refuse("secrets", `the secret ${name}`)
  if (granted.secretStore && (!requested.secretStore || granted.secretStore.maxSecrets > requested.secretStore.maxSecrets))
    refuse("secretStore", "a larger secret store")
  if (granted.crypto && !requested.crypto) refuse("crypto", "crypto")
}

/** The manifest's limits clamped to the operator's maxima. */
export const sandboxLimits = (manifest: PluginManifest, operator: OperatorLimits): SandboxLimits => ({
  memoryMb: Math.max(8, Math.min(manifest.limits.memoryMb, operator.maxMemoryMb)),
  callTimeoutMs: Math.max(1, Math.min(manifest.limits.hookTimeoutMs, operator.maxHookTimeoutMs)),
  loadTimeoutMs: operator.loadTimeoutMs,
  maxPendingHostCalls: operator.maxPendingHostCalls,
  maxPayloadBytes: operator.maxPayloadBytes,
})

/** Does an event type match a manifest's event pattern (exact, `prefix.*`, or `*`)? */
export const eventMatches = (pattern: string, type: string): boolean =>
  pattern === "*" || pattern === type || (pattern.endsWith(".*") && type.startsWith(pattern.slice(0, -1)))
