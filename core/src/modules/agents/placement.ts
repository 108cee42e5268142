// Chooses the agent that runs a new session: right platform and cluster, healthy, most room left.
import type { Capacity, Platform } from "@streamspace/schemas"

export interface Candidate {
  agentId: string
  platform: Platform
  cluster: string
  capacity: Capacity
  /** When the agent's leading connection last said anything (ms since epoch). */
  lastSeenAt: number
}

export interface PlacementWants {
  platform?: Platform
  cluster?: string
}

/**
 * `load` is what the database says each agent holds: it counts sessions placed a moment ago that
 * the agent's last heartbeat cannot know yet, so a burst of launches spreads instead of piling up.
 */
export function chooseAgent(
  candidates: readonly Candidate[],
  load: ReadonlyMap<string, number>,
  wants: PlacementWants,
  healthyWithinMs: number,
  now = Date.now(),
): string | null {
  let best: { agentId: string; free: number; used: number } | null = null
  for (const c of candidates) {
    if (wants.platform && c.platform !== wants.platform) continue
    if (wants.cluster && c.cluster !== wants.cluster) continue
    if (now - c.lastSeenAt > healthyWithinMs) continue
    const used = Math.max(c.capacity.runningSessions, load.get(c.agentId) ?? 0)
    const free = c.capacity.maxSessions - used
    if (free <= 0) continue
    const better =
      !best || free > best.free || (free === best.free && (used < best.used || (used === best.used && c.agentId < best.agentId)))
    if (better) best = { agentId: c.agentId, free, used }
  }
  return best?.agentId ?? null
}
