// The Docker agent's configuration: environment checked once at start, and the secret file VNC passwords derive from.
import { randomBytes } from "node:crypto"
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { hostname } from "node:os"
import { dirname } from "node:path"
import { DockerAgentConfig, readEnvConfig } from "@streamspace/schemas"

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
}

/** Throws EnvConfigError with one line naming the variable. */
export function loadAgentSettings(env: Record<string, string | undefined>): AgentSettings {
  const c = readEnvConfig(DockerAgentConfig, env)
  return {
    urls: c.STREAMSPACE_URLS.split(",").map((u) => u.trim()),
    token: c.STREAMSPACE_AGENT_TOKEN,
    name: c.AGENT_NAME,
    instanceId: c.AGENT_INSTANCE_ID ?? hostname(),
    cluster: c.AGENT_CLUSTER,
    maxSessions: c.AGENT_MAX_SESSIONS,
    secretFile: c.AGENT_SECRET_FILE,
    dockerSocket: c.DOCKER_SOCKET,
    logLevel: c.LOG_LEVEL,
  }
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
