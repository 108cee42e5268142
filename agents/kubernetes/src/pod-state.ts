// Reads a session's state out of its Deployment and pods, as the watch caches hold them.
import type { V1Deployment, V1Pod } from "@kubernetes/client-node"
import type { SessionReport } from "@streamspace/schemas"

/** Container waiting reasons that will not heal by waiting: the start failed. */
const STUCK = new Set(["ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CreateContainerConfigError", "CrashLoopBackOff"])

export type PodVerdict = { state: "ready"; ip: string } | { state: "pending" } | { state: "failed"; reason: string }

export function judgePod(pod: V1Pod): PodVerdict {
  if (pod.metadata?.deletionTimestamp) return { state: "pending" }
  const status = pod.status
  if (status?.phase === "Failed" || status?.phase === "Succeeded")
    return { state: "failed", reason: `the session's pod ended (${status.phase}${status.reason ? `: ${status.reason}` : ""})` }
  for (const c of status?.containerStatuses ?? []) {
    const waiting = c.state?.waiting?.reason
    if (waiting && STUCK.has(waiting))
      return {
        state: "failed",
        reason: `the session's container cannot start: ${waiting}${c.state?.waiting?.message ? ` (${c.state.waiting.message})` : ""}`,
      }
    const terminated = c.lastState?.terminated ?? c.state?.terminated
    if (terminated?.reason === "OOMKilled") return { state: "failed", reason: "the session ran out of memory and was killed" }
  }
  const ready = status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") === true
  if (status?.phase === "Running" && ready && status.podIP) return { state: "ready", ip: status.podIP }
  return { state: "pending" }
}

/** The pod that speaks for the session: a ready one if any, else the newest that is not being deleted. */
export function currentPod(pods: readonly V1Pod[]): V1Pod | undefined {
  const live = pods.filter((p) => !p.metadata?.deletionTimestamp)
  return live.find((p) => judgePod(p).state === "ready") ?? live.sort((a, b) => createdAt(b) - createdAt(a))[0]
}

/** client-node revives timestamps as Dates; compare them as numbers, never as text. */
const createdAt = (pod: V1Pod): number => new Date(pod.metadata?.creationTimestamp ?? 0).getTime()

export function reportFor(sessionId: string, deployment: V1Deployment, pods: readonly V1Pod[]): SessionReport {
  if ((deployment.spec?.replicas ?? 1) === 0) return { sessionId, state: "hibernated" }
  if (deployment.metadata?.deletionTimestamp) return { sessionId, state: "stopping" }
  const pod = currentPod(pods)
  if (!pod) return { sessionId, state: "starting" }
  const verdict = judgePod(pod)
  if (verdict.state === "ready") return { sessionId, state: "running" }
  if (verdict.state === "failed") return { sessionId, state: "failed", reason: verdict.reason }
  return { sessionId, state: "starting" }
}
