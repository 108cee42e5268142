// Docker agent configuration, read from the environment once at start-up (agents/docker/src/config.ts).
import { type Static, Type } from "@sinclair/typebox"
import { AgentName } from "./agent.ts"
import { LogLevel } from "./config.ts"

export const DockerAgentConfig = Type.Object({
  STREAMSPACE_URLS: Type.String({
    pattern: "^https?://[^,\\s]+(,\\s*https?://[^,\\s]+)*$",
    description: "Control-plane URLs, comma-separated; the agent tries each in turn",
  }),
  STREAMSPACE_AGENT_TOKEN: Type.String({
    pattern: "^ssa_\\S+$",
    writeOnly: true,
    description: "The agent's token (ssa_…), from registering it",
  }),
  AGENT_NAME: Type.Union([AgentName], {
    default: "docker",
    description: "Scopes container names and labels, so agents sharing a Docker host leave each other alone",
  }),
  AGENT_INSTANCE_ID: Type.Optional(
    Type.String({ minLength: 1, maxLength: 128, description: "This replica of the agent; default: the host name" }),
  ),
  AGENT_CLUSTER: Type.String({
    minLength: 1,
    maxLength: 63,
    default: "default",
    description: "Cluster the agent was registered in",
  }),
  AGENT_MAX_SESSIONS: Type.Integer({
    minimum: 0,
    maximum: 10000,
    default: 20,
    description: "Sessions this host may run at once",
  }),
  AGENT_SECRET_FILE: Type.String({
    minLength: 1,
    default: "./data/agent-secret",
    description: "File holding the secret VNC passwords derive from; created (mode 600) if missing",
  }),
  LEADER_ELECTION: Type.Union([Type.Literal("none"), Type.Literal("file"), Type.Literal("redis"), Type.Literal("swarm")], {
    default: "none",
    description:
      "none (one replica) | file (replicas on one host share LEADER_LOCK_PATH) | redis (replicas anywhere share REDIS_URL) | swarm (DOCKER_SOCKET is a Swarm manager)",
  }),
  LEADER_LOCK_PATH: Type.Optional(
    Type.String({ minLength: 1, description: "Lease file all replicas on this host share (LEADER_ELECTION=file)" }),
  ),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: "^rediss?://\\S+$",
      writeOnly: true,
      description: "Redis the replicas share for their lease (LEADER_ELECTION=redis), redis://[user:password@]host:port",
    }),
  ),
  LEADER_LEASE_MS: Type.Integer({
    minimum: 100,
    maximum: 600_000,
    default: 3_000,
    description: "How long a lease lasts without renewal; a dead leader is replaced after about this long",
  }),
  LEADER_RENEW_MS: Type.Integer({
    minimum: 10,
    maximum: 600_000,
    default: 1_000,
    description: "How often the leader renews its lease (below LEADER_LEASE_MS)",
  }),
  LEADER_RETRY_MS: Type.Integer({
    minimum: 10,
    maximum: 600_000,
    default: 500,
    description: "How often a follower tries to take the lease",
  }),
  DOCKER_SOCKET: Type.String({ minLength: 1, default: "/var/run/docker.sock", description: "The Docker engine's socket" }),
  LOG_LEVEL: Type.Union(LogLevel.anyOf, { default: "info", description: "fatal | error | warn | info | debug | trace | silent" }),
})
export type DockerAgentConfig = Static<typeof DockerAgentConfig>

// Kubernetes agent configuration (agents/kubernetes/src/config.ts).
export const KubernetesAgentConfig = Type.Object({
  STREAMSPACE_URLS: DockerAgentConfig.properties.STREAMSPACE_URLS,
  STREAMSPACE_AGENT_TOKEN: DockerAgentConfig.properties.STREAMSPACE_AGENT_TOKEN,
  AGENT_NAME: Type.Union([AgentName], {
    default: "kubernetes",
    description: "Scopes labels, claim names and the Lease, so agents sharing a namespace leave each other alone",
  }),
  AGENT_INSTANCE_ID: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 128,
      description: "This replica (the Lease's holder identity); default: the host name, i.e. the pod name",
    }),
  ),
  AGENT_CLUSTER: DockerAgentConfig.properties.AGENT_CLUSTER,
  AGENT_MAX_SESSIONS: Type.Integer({
    minimum: 0,
    maximum: 10000,
    default: 50,
    description: "Sessions this agent may run at once",
  }),
  KUBECONFIG: Type.Optional(
    Type.String({ minLength: 1, description: "Kubeconfig file to use; unset: in-cluster (the pod's service account)" }),
  ),
  SESSION_NAMESPACE: Type.String({
    minLength: 1,
    maxLength: 63,
    pattern: "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
    default: "streamspace-sessions",
    description: "Namespace the sessions' Deployments, claims, Secrets and NetworkPolicies live in",
  }),
  AGENT_NAMESPACE: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$",
      description: "Namespace of the agent's pods and its Lease; default: SESSION_NAMESPACE",
    }),
  ),
  AGENT_POD_LABELS: Type.String({
    pattern: "^[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*(,[A-Za-z0-9./_-]+=[A-Za-z0-9._-]*)*$",
    default: "app.kubernetes.io/name=streamspace-agent",
    description: "Labels of the agent's pods (k=v,…); each session's NetworkPolicy admits only them to the VNC port",
  }),
  HOME_STORAGE_CLASS: Type.Optional(
    Type.String({ minLength: 1, maxLength: 253, description: "storageClassName of home claims; unset: the cluster's default" }),
  ),
  HOME_SIZE: Type.String({
    pattern: "^[0-9]+(Ki|Mi|Gi|Ti)$",
    default: "1Gi",
    description: "Size requested for a new home claim",
  }),
  LEADER_ELECTION: Type.Union([Type.Literal("kubernetes"), Type.Literal("none")], {
    default: "kubernetes",
    description: "kubernetes (replicas elect a leader on a coordination.k8s.io Lease) | none (one replica)",
  }),
  LEADER_LEASE_MS: Type.Integer({
    minimum: 1_000,
    maximum: 600_000,
    default: 3_000,
    description:
      "How long the Lease lasts without renewal (whole seconds on the Lease); a dead leader is replaced after about this long",
  }),
  LEADER_RENEW_MS: DockerAgentConfig.properties.LEADER_RENEW_MS,
  LEADER_RETRY_MS: DockerAgentConfig.properties.LEADER_RETRY_MS,
  READY_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 3600000,
    default: 120000,
    description: "How long start and wake wait for the session's pod to be Ready",
  }),
  LOG_LEVEL: DockerAgentConfig.properties.LOG_LEVEL,
})
export type KubernetesAgentConfig = Static<typeof KubernetesAgentConfig>
