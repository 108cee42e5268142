// Messages between the core (Bun) and the plugin runtime (Node + isolated-vm), one JSON object each.
import { type Static, Type } from "@sinclair/typebox"
import { StreamSpaceEvent } from "./events.ts"
import { HookNameSchema } from "./plugin-hooks.ts"
import { HostMethodSchema } from "./plugin-host-api.ts"
import { PluginId, SemVer } from "./plugin-manifest.ts"

export const RUNTIME_PROTOCOL_VERSION = 1

/** Stable codes for why a plugin call or an install failed; the runtime and the host use only these. */
export const PLUGIN_ERROR_CODES = [
  "PLUGIN_TIMEOUT",
  "PLUGIN_OUT_OF_MEMORY",
  "PLUGIN_THREW",
  "PLUGIN_FLOODED_HOST",
  "PLUGIN_RESULT_TOO_LARGE",
  "PLUGIN_BAD_RESULT",
  "PLUGIN_BAD_EXPORT",
  "PLUGIN_NO_HANDLER",
  "PLUGIN_NOT_LOADED",
  "PLUGIN_LOAD_FAILED",
  "PLUGIN_CRASHED",
  "RUNTIME_UNAVAILABLE",
  "RUNTIME_BAD_MESSAGE",
  "HOST_PERMISSION_DENIED",
  "HOST_BAD_ARGUMENTS",
  "HOST_QUOTA_EXCEEDED",
  "HOST_CALL_FAILED",
  "HOST_CALL_OUTSIDE_CALL",
] as const
export type PluginErrorCode = (typeof PLUGIN_ERROR_CODES)[number]
export const PluginErrorCodeSchema = Type.Union(PLUGIN_ERROR_CODES.map((c) => Type.Literal(c)))

const msg = <T extends string, P extends Parameters<typeof Type.Object>[0]>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), ...props }, { additionalProperties: false })

const RequestId = Type.Integer({ minimum: 1 })
export const InstallId = Type.String({ minLength: 1, maxLength: 128 })
const ErrorText = Type.String({ maxLength: 8000 })

/** Limits the runtime applies to one install, already clamped by the operator's maxima. */
export const SandboxLimits = Type.Object(
  {
    memoryMb: Type.Integer({ minimum: 8, maximum: 4096 }),
    callTimeoutMs: Type.Integer({ minimum: 1, maximum: 60000 }),
    loadTimeoutMs: Type.Integer({ minimum: 1, maximum: 60000 }),
    maxPendingHostCalls: Type.Integer({ minimum: 1, maximum: 10000 }),
    maxPayloadBytes: Type.Integer({
      minimum: 1024,
      maximum: 64 * 1024 * 1024,
      description: "Largest hook result or host-call argument list, as JSON",
    }),
  },
  { additionalProperties: false },
)
export type SandboxLimits = Static<typeof SandboxLimits>

/** The envelope declared with the event types (events.ts): one shape for plugins and the portal. */
export const PluginEvent = StreamSpaceEvent
export type PluginEvent = Static<typeof PluginEvent>

// ---- core → runtime ----
export const LoadInstall = msg("load", {
  id: RequestId,
  installId: InstallId,
  pluginId: PluginId,
  version: SemVer,
  bundle: Type.String({ minLength: 1, maxLength: 16 * 1024 * 1024 }),
  config: Type.Unknown(),
  limits: SandboxLimits,
})
export const UnloadInstall = msg("unload", { id: RequestId, installId: InstallId })
export const CallHook = msg("callHook", {
  id: RequestId,
  installId: InstallId,
  hook: HookNameSchema,
  input: Type.Unknown(),
  timeoutMs: Type.Integer({ minimum: 1, maximum: 60000 }),
})
export const DeliverEvent = msg("deliverEvent", {
  id: RequestId,
  installId: InstallId,
  event: PluginEvent,
  timeoutMs: Type.Integer({ minimum: 1, maximum: 60000 }),
})
export const HostCallResult = msg("hostResult", { id: RequestId, installId: InstallId, value: Type.Unknown() })
export const HostCallError = msg("hostError", {
  id: RequestId,
  installId: InstallId,
  code: PluginErrorCodeSchema,
  message: ErrorText,
})
export const StatsRequest = msg("stats", { id: RequestId })
/**
 * Messages sent in the same turn of the event loop travel as one batch (either direction): one
 * write instead of fifty when the core is busy. Each inner message is checked on its own.
 */
export const MessageBatch = msg("batch", { messages: Type.Array(Type.Unknown(), { minItems: 2, maxItems: 100_000 }) })

export const CoreToRuntime = Type.Union([
  LoadInstall,
  UnloadInstall,
  CallHook,
  DeliverEvent,
  HostCallResult,
  HostCallError,
  StatsRequest,
  MessageBatch,
])
export type CoreToRuntime = Static<typeof CoreToRuntime>

// ---- runtime → core ----
export const RuntimeHello = msg("hello", {
  protocol: Type.Literal(RUNTIME_PROTOCOL_VERSION),
  pid: Type.Integer(),
  node: Type.String({ maxLength: 64 }),
  engine: Type.String({ maxLength: 64, description: "e.g. isolated-vm@5.0.4" }),
})
export const RuntimeResult = msg("result", { id: RequestId, value: Type.Unknown() })
export const RuntimeError = msg("error", { id: RequestId, code: PluginErrorCodeSchema, message: ErrorText })
export const HostCall = msg("hostCall", {
  id: RequestId,
  installId: InstallId,
  method: HostMethodSchema,
  args: Type.Array(Type.Unknown(), { maxItems: 8 }),
})
/** Sent when the runtime stopped an install on its own (loop, memory, throw, flood); the host marks it crashed. */
export const InstallCrashed = msg("crashed", { installId: InstallId, code: PluginErrorCodeSchema, message: ErrorText })

export const RuntimeToCore = Type.Union([RuntimeHello, RuntimeResult, RuntimeError, HostCall, InstallCrashed, MessageBatch])
export type RuntimeToCore = Static<typeof RuntimeToCore>

/** What `load` answers: the hooks and event handlers the bundle exports. */
export const LoadedInstall = Type.Object({ hooks: Type.Array(Type.String()), events: Type.Array(Type.String()) })
export type LoadedInstall = Static<typeof LoadedInstall>

export const InstallStats = Type.Object({
  installId: InstallId,
  cpuTimeUs: Type.Integer({ minimum: 0, description: "CPU time the isolate used, all calls together" }),
  wallTimeUs: Type.Integer({ minimum: 0 }),
  heapUsedBytes: Type.Integer({ minimum: 0 }),
  calls: Type.Integer({ minimum: 0 }),
  hostCalls: Type.Integer({ minimum: 0 }),
  pendingHostCalls: Type.Integer({ minimum: 0 }),
})
export type InstallStats = Static<typeof InstallStats>
export const RuntimeStats = Type.Object({ installs: Type.Array(InstallStats) })
export type RuntimeStats = Static<typeof RuntimeStats>
