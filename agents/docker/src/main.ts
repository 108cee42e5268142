// The Docker agent process: runs sessions as containers on this host for the control planes it connects to.
import Docker from "dockerode"
import { AgentRuntime } from "@streamspace/agent-runtime"
import { EnvConfigError } from "@streamspace/schemas"
import pino from "pino"
import pkg from "../package.json" with { type: "json" }
import { loadAgentSettings, readOrCreateSecret, SecretFileError } from "./config.ts"
import { DockerSessionDriver } from "./docker-session-driver.ts"
import { createElector } from "./leader-election.ts"

function fail(line: string, code: number): never {
  console.error(line)
  process.exit(code)
}

let settings: ReturnType<typeof loadAgentSettings>
let secret: string
try {
  settings = loadAgentSettings(process.env)
  secret = readOrCreateSecret(settings.secretFile)
} catch (e) {
  if (!(e instanceof EnvConfigError || e instanceof SecretFileError)) throw e
  fail(e.message, 2)
}

const log = pino({
  level: settings.logLevel,
  base: { service: "agent-docker", agent: settings.name, instanceId: settings.instanceId },
  redact: { paths: ["*.token", "*.password", "*.secret", "*.authorization"], censor: "[redacted]" },
})

const docker = new Docker({ socketPath: settings.dockerSocket, version: "v1.41" })
try {
  await docker.ping()
} catch (e) {
  fail(
    `The Docker engine at ${settings.dockerSocket} did not answer (${(e as Error).message}). Start dockerd or set DOCKER_SOCKET.`,
    1,
  )
}

const driver = new DockerSessionDriver({
  agentSecret: secret,
  maxSessions: settings.maxSessions,
  agentName: settings.name,
  docker,
})
const runtime = new AgentRuntime({
  urls: settings.urls,
  token: settings.token,
  instanceId: settings.instanceId,
  cluster: settings.cluster,
  version: pkg.version,
  driver,
  log,
  elector: createElector(settings, docker, log),
})
runtime.start()
log.info(
  { urls: settings.urls, maxSessions: settings.maxSessions, leaderElection: settings.election.kind },
  "Docker agent started",
)

void runtime.done.then((status) => {
  // A refused token does not heal by retrying: exit so that a supervisor (or a person) notices.
  if (status === "refused") fail(`The control plane refused this agent: ${runtime.refusal}`, 3)
})

const shutdown = async (signal: string) => {
  log.info({ signal }, "Docker agent stopping; its sessions keep running")
  // Releases the lease first, so a follower leads at once instead of after the lease runs out.
  await Promise.race([runtime.stop(), Bun.sleep(2_000)])
  process.exit(0)
}
process.on("SIGTERM", () => void shutdown("SIGTERM"))
process.on("SIGINT", () => void shutdown("SIGINT"))
