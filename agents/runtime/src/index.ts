// @streamspace/agent-runtime: the shared agent (hub client, command router, streams) and the SessionDriver seam.
export { AgentRuntime, type AgentRuntimeOptions, type AgentStatus } from "./agent-runtime.ts"
export { backoffDelay, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts"
export { KeyedLock } from "./keyed-lock.ts"
export type { SessionDriver, VncTarget } from "./session-driver.ts"
export type { StreamConnector, StreamPeer, StreamPort } from "./stream-endpoint.ts"
export { vncConnector } from "./vnc-connector.ts"
export { systemClock } from "./leader/clock.ts"
export {
  type Clock,
  DEFAULT_LEASE_TIMINGS,
  type DeposedReason,
  type LeaderElector,
  type LeaseBackend,
  type LeaseGrant,
  type LeaseTimings,
} from "./leader/leader-elector.ts"
export { checkTimings, LeaseElector, type LeaseElectorOptions } from "./leader/lease-elector.ts"
export { FileLease } from "./leader/file-lease.ts"
export { RedisLease, type RedisLeaseOptions } from "./leader/redis-lease.ts"
