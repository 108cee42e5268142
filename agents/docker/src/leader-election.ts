// Picks the Docker agent's leader election from its settings: none, a lease file on this host, a Redis lease, or a
// lease in the Swarm the agent's Docker engine manages.
import { FileLease, type LeaderElector, type LeaseBackend, LeaseElector, RedisLease } from "@streamspace/agent-runtime"
import type Docker from "dockerode"
import type { Logger } from "pino"
import type { AgentSettings } from "./config.ts"
import { SwarmLease } from "./swarm-lease.ts"

export function createElector(settings: AgentSettings, docker: Docker, log: Logger): LeaderElector | undefined {
  const { election } = settings
  if (election.kind === "none") return undefined
  // Unique per process: a restarted replica is a new holder and never mistakes its predecessor's lease for its own.
  const holder = `${settings.instanceId}/${process.pid}-${crypto.randomUUID().slice(0, 8)}`
  const name = `docker:${settings.cluster}:${settings.name}`
  const backend: LeaseBackend =
    election.kind === "file"
      ? new FileLease(election.path)
      : election.kind === "swarm"
        ? new SwarmLease(docker, name)
        : new RedisLease({ url: election.url, name, commandTimeoutMs: Math.max(100, election.timings.renewMs) })
  return new LeaseElector({ backend, holder, log, timings: election.timings })
}
