// The Kubernetes agent's configuration: environment checked once at start.
import { hostname } from "node:os"
import { checkTimings } from "@streamspace/agent-runtime"
import { EnvConfigError, KubernetesAgentConfig, readEnvConfig } from "@streamspace/schemas"

export interface AgentSettings {
  urls: string[]
  token: string
  name: string
  instanceId: string
  cluster: string
  maxSessions: number
  kubeconfig: string | null
  sessionNamespace: string
  agentNamespace: string
  agentPodLabels: Record<string, string>
  storageClass?: string
  homeSize: string
  leaderElection: boolean
  lease: { leaseMs: number; renewMs: number; retryMs: number }
  readyTimeoutMs: number
  logLevel: string
}

/** Throws EnvConfigError with one line naming the variable. */
export function loadAgentSettings(env: Record<string, string | undefined>): AgentSettings {
  const c = readEnvConfig(KubernetesAgentConfig, env)
  return {
    urls: c.STREAMSPACE_URLS.split(",").map((u) => u.trim()),
    token: c.STREAMSPACE_AGENT_TOKEN,
    name: c.AGENT_NAME,
    instanceId: c.AGENT_INSTANCE_ID ?? hostname(),
    cluster: c.AGENT_CLUSTER,
    maxSessions: c.AGENT_MAX_SESSIONS,
    kubeconfig: c.KUBECONFIG ?? null,
    sessionNamespace: c.SESSION_NAMESPACE,
    agentNamespace: c.AGENT_NAMESPACE ?? c.SESSION_NAMESPACE,
    agentPodLabels: Object.fromEntries(c.AGENT_POD_LABELS.split(",").map((pair) => pair.split("=", 2) as [string, string])),
    storageClass: c.HOME_STORAGE_CLASS,
    homeSize: c.HOME_SIZE,
    leaderElection: c.LEADER_ELECTION === "kubernetes",
    lease: checkedTimings(c.LEADER_LEASE_MS, c.LEADER_RENEW_MS, c.LEADER_RETRY_MS),
    readyTimeoutMs: c.READY_TIMEOUT_MS,
    logLevel: c.LOG_LEVEL,
  }
}

function checkedTimings(leaseMs: number, renewMs: number, retryMs: number) {
  const timings = { leaseMs, renewMs, retryMs }
  const bad = checkTimings(timings)
  if (bad) throw new EnvConfigError(`Invalid configuration: LEADER_LEASE_MS/LEADER_RENEW_MS/LEADER_RETRY_MS — ${bad}`)
  return timings
}
