// @streamspace/agent-runtime: the shared agent (hub client, command router, streams) and the SessionDriver seam.
export { AgentRuntime, type AgentRuntimeOptions, type AgentStatus } from "./agent-runtime.ts"
export { backoffDelay, type BackoffOptions, DEFAULT_BACKOFF } from "./backoff.ts"
export type { SessionDriver, VncTarget } from "./session-driver.ts"
export type { StreamConnector, StreamPeer, StreamPort } from "./stream-endpoint.ts"
export { vncConnector } from "./vnc-connector.ts"
