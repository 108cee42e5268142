// Which agent instances are connected, and to which replica: in memory for one replica, in Redis (registry-redis.ts) for several.
import type { Capacity, Platform } from "@streamspace/schemas"

export interface AgentPresence {
  agentId: string
  /** The agent's registered name (Redis keys name agents by platform and name). */
  name: string
  instanceId: string
  /** One WebSocket connection: a reconnect of the same instance gets a new one. */
  connectionId: string
  replicaId: string
  platform: Platform
  cluster: string
  leader: boolean
  /** The leader's term (agents with leader election); a higher one outranks a lower one. */
  fencingToken: number | null
  capacity: Capacity
  connectedAt: number
  lastSeenAt: number
}

export type PresencePatch = Partial<Pick<AgentPresence, "leader" | "fencingToken" | "capacity" | "lastSeenAt">>

/** Each agent's leading instance: the highest term, then the newest connection, if several claim to lead. */
export function leadersOf(presences: readonly AgentPresence[]): Map<string, AgentPresence> {
  const leaders = new Map<string, AgentPresence>()
  for (const p of presences) {
    if (!p.leader) continue
    const best = leaders.get(p.agentId)
    const outranks =
      !best ||
      ((p.fencingToken ?? 0) !== (best.fencingToken ?? 0)
        ? (p.fencingToken ?? 0) > (best.fencingToken ?? 0)
        : p.connectedAt > best.connectedAt)
    if (outranks) leaders.set(p.agentId, p)
  }
  return leaders
}

export interface AgentRegistry {
  put(presence: AgentPresence): Promise<void>
  /** Updates a presence if that connection still holds it. */
  touch(agentId: string, connectionId: string, patch: PresencePatch): Promise<void>
  /** Removes a presence only if that connection still holds it: a newer connection of the same instance stays. */
  remove(agentId: string, connectionId: string): Promise<void>
  instances(agentId: string): Promise<AgentPresence[]>
  /** Every live presence, on every replica. */
  list(): Promise<AgentPresence[]>
  close(): Promise<void>
}

export function createMemoryAgentRegistry(): AgentRegistry {
  const byAgent = new Map<string, Map<string, AgentPresence>>()

  return {
    async put(p) {
      const instances = byAgent.get(p.agentId) ?? new Map<string, AgentPresence>()
      byAgent.set(p.agentId, instances)
      instances.set(p.instanceId, { ...p })
    },
    async touch(agentId, connectionId, patch) {
      for (const p of byAgent.get(agentId)?.values() ?? []) if (p.connectionId === connectionId) Object.assign(p, patch)
    },
    async remove(agentId, connectionId) {
      const instances = byAgent.get(agentId)
      if (!instances) return
      for (const [instanceId, p] of instances) if (p.connectionId === connectionId) instances.delete(instanceId)
      if (instances.size === 0) byAgent.delete(agentId)
    },
    async instances(agentId) {
      return [...(byAgent.get(agentId)?.values() ?? [])].map((p) => ({ ...p }))
    },
    async list() {
      return [...byAgent.values()].flatMap((m) => [...m.values()]).map((p) => ({ ...p }))
    },
    async close() {},
  }
}
