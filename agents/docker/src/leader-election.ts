// Picks the Docker agent's leader election from its settings: none, a lease file on this host, or a Redis lease.
import { FileLease, type LeaderElector, LeaseElector, RedisLease } from "@streamspace/agent-runtime"
import type { Logger } from "pino"
import type { AgentSettings } from "./config.ts"

export function createElector(settings: AgentSettings, log: Logger): LeaderElector | undefined {
  const { election } = settings
  if (election.kind === "none") return undefined
  // Unique per process: a restarted replica is a new holder and never mistakes its predecessor's lease for its own.
  const holder = `${settings.instanceId}/${process.pid}-${crypto.randomUUID().slice(0, 8)}`
  const backend =
    election.kind === "file"
      ? new FileLease(election.path)
      : new RedisLease({
          url: election.url,
          name: `docker:${settings.cluster}:${settings.name}`,
          commandTimeoutMs: Math.max(100, Math.floor(election.timings.renewMs)),
        })
  return new LeaseElector({ backend, holder, log, timings: election.timings })
}
