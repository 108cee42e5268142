// The Docker agent's configuration: environment checked once at start, and the secret file VNC passwords derive from.
import { randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { dirname } from "node:path"
import { checkTimings, type LeaseTimings } from "@streamspace/agent-runtime"
import { DockerAgentConfig, EnvConfigError, readEnvConfig } from "@streamspace/schemas"

/** How this replica finds out whether it leads. */
export type ElectionSettings =
  | { kind: "none" }
  | { kind: "file"; path: string; timings: LeaseTimings }
  | { kind: "redis"; url: string; timings: LeaseTimings }
  | { kind: "swarm"; timings: LeaseTimings }

export interface AgentSettings {
  urls: string[]
  token: string
  name: string
  instanceId: string
  cluster: string
  maxSessions: number
  secretFile: string
  dockerSocket: string
  logLevel: string
  election: ElectionSettings
}

/** Throws EnvConfigError with one line naming the variable. */
export function loadAgentSettings(env: Record<string, string | undefined>, pid = process.pid): AgentSettings {
  const c = readEnvConfig(DockerAgentConfig, env)
  const election = electionSettings(c)
  return {
    urls: c.STREAMSPACE_URLS.split(",").map((u) => u.trim()),
    token: c.STREAMSPACE_AGENT_TOKEN,
    name: c.AGENT_NAME,
    // Replicas on one host must differ: the control plane keys connections by instance.
    instanceId: c.AGENT_INSTANCE_ID ?? (election.kind === "none" ? hostname() : `${hostname()}-${pid}`),
    cluster: c.AGENT_CLUSTER,
    maxSessions: c.AGENT_MAX_SESSIONS,
    secretFile: c.AGENT_SECRET_FILE,
    dockerSocket: c.DOCKER_SOCKET,
    logLevel: c.LOG_LEVEL,
    election,
  }
}

function electionSettings(c: DockerAgentConfig): ElectionSettings {
  if (c.LEADER_ELECTION === "none") return { kind: "none" }
  const timings = { leaseMs: c.LEADER_LEASE_MS, renewMs: c.LEADER_RENEW_MS, retryMs: c.LEADER_RETRY_MS }
  const bad = checkTimings(timings)
  if (bad)
    throw new EnvConfigError(
      `Invalid configuration: LEADER_LEASE_MS/LEADER_RENEW_MS/LEADER_RETRY_MS — ${bad.replace(/(lease|renew|retry)Ms/g, (_, w: string) => `LEADER_${w.toUpperCase()}_MS`)}`,
    )
  if (c.LEADER_ELECTION === "file") {
    if (!c.LEADER_LOCK_PATH)
      throw new EnvConfigError("Invalid configuration: LEADER_ELECTION=file needs LEADER_LOCK_PATH, a path all replicas share.")
    return { kind: "file", path: c.LEADER_LOCK_PATH, timings }
  }
  if (c.LEADER_ELECTION === "swarm") return { kind: "swarm", timings }
  if (!c.REDIS_URL) throw new EnvConfigError("Invalid configuration: LEADER_ELECTION=redis needs REDIS_URL.")
  return { kind: "redis", url: c.REDIS_URL, timings }
}

export class SecretFileError extends Error {}

/**
 * The secret must outlive the agent process: sessions it adopts after a restart keep the VNC
 * passwords derived from it. Created once, readable by the agent's user only.
 */
export function readOrCreateSecret(path: string): string {
  if (existsSync(path)) {
    const secret = readFileSync(path, "utf8").trim()
    if (secret.length < 16) throw new SecretFileError(`The agent secret in ${path} is shorter than 16 characters.`)
    return secret
  }
  try {
    mkdirSync(dirname(path), { recursive: true })
    const secret = randomBytes(32).toString("base64url")
    writeFileSync(path, `${secret}\n`, { mode: 0o600, flag: "wx" })
    chmodSync(path, 0o600)
    return secret
  } catch (e) {
    throw new SecretFileError(`Cannot create the agent secret file ${path}: ${(e as Error).message}`)
  }
}
