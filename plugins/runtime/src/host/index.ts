// Package entry for the core (Bun): the plugin supervisor, its transport, and the host API it answers with.
export {
  PluginSupervisor,
  type EventOutcome,
  type InstallSpec,
  type InstallState,
  type InstallStatus,
  type SupervisorOptions,
} from "./supervisor.ts"
export type { HookOutcome } from "./hook-checks.ts"
export {
  NodeIpcTransport,
  type NodeIpcTransportOptions,
  type PluginTransport,
  type TransportChannel,
  type TransportHandlers,
} from "./transport.ts"
export { type HostApi, type HostCallContext, HostCallError, type LogLevel, type SecretOwner } from "./host-api.ts"
export { checkedHost, type CheckedHost, type HostCallOutcome } from "./checked-host.ts"
export {
  type Connector,
  createHostApi,
  fetchWithLimits,
  type HostApiOptions,
  type HostStores,
  type HttpLimits,
} from "./standard-host.ts"
export { InMemoryHostApi, type InMemoryHostData, type LogRecord } from "./in-memory-host.ts"
export {
  checkManifest,
  checkGrant,
  DEFAULT_OPERATOR_LIMITS,
  eventMatches,
  PluginInstallError,
  type OperatorLimits,
} from "./install-check.ts"
export type { SupervisorLog } from "./runtime-restarts.ts"
