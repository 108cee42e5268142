// Where an agent's leading connection is — on this replica or another — and how commands and streams get there.
import type { Command } from "@streamspace/schemas"
import type { Cluster } from "./cluster.ts"
import type { Candidate } from "./placement.ts"
import { type AgentPresence, type AgentRegistry, leadersOf } from "./registry.ts"
import type { AgentStream, StreamHandlers } from "./streams.ts"
import { StreamOpenFailed } from "./streams.ts"

export interface LocalLeader {
  send(command: Command): boolean
  openStream(sessionId: string, handlers: StreamHandlers, timeoutMs: number): Promise<AgentStream>
}

export interface RouterParts {
  registry: AgentRegistry
  cluster: Cluster | null
  replicaId: string
  /** This replica's own leading connection of the agent, if it holds one. */
  localLeader(agentId: string): LocalLeader | null
}

type Route = { here: LocalLeader } | { there: AgentPresence } | null

export function createRouter({ registry, cluster, replicaId, localLeader }: RouterParts) {
  /**
   * With several replicas the registry decides (a higher term on another replica outranks a stale
   * leader here); when Redis cannot answer, this replica's own connections still serve.
   */
  async function route(agentId: string): Promise<Route> {
    const local = localLeader(agentId)
    if (!cluster) return local ? { here: local } : null
    const leader = leadersOf(await registry.instances(agentId)).get(agentId)
    if (leader && leader.replicaId !== replicaId) return { there: leader }
    return local ? { here: local } : null
  }

  return {
    /** Agents whose leading connection is live on any replica, for placement. */
    async candidates(): Promise<Candidate[]> {
      return [...leadersOf(await registry.list()).values()].map((p) => ({
        agentId: p.agentId,
        platform: p.platform,
        cluster: p.cluster,
        capacity: p.capacity,
        lastSeenAt: p.lastSeenAt,
      }))
    },
    reachable: async (agentId: string) => (await route(agentId)) !== null,
    async deliver(agentId: string, command: Command): Promise<boolean> {
      const r = await route(agentId)
      if (!r) return false
      if ("here" in r) return r.here.send(command)
      return cluster ? cluster.deliver(r.there.replicaId, agentId, command) : false
    },
    async openStream(agentId: string, sessionId: string, handlers: StreamHandlers, timeoutMs: number): Promise<AgentStream> {
      const r = await route(agentId)
      if (!r || (!cluster && !("here" in r)))
        throw new StreamOpenFailed("The session's agent is not connected to the control plane.")
      if ("here" in r) return r.here.openStream(sessionId, handlers, timeoutMs)
      return (cluster as Cluster).openStream(r.there.replicaId, sessionId, handlers, timeoutMs)
    },
  }
}
