import { expect, test } from "bun:test"
import type { V1Deployment, V1Pod } from "@kubernetes/client-node"
import { currentPod, judgePod, reportFor } from "./pod-state.ts"

const id = "0b7c6f7e-1111-4a2b-8c3d-9e0f1a2b3c4d"
const ready = (name: string, ip = "10.244.0.7", created = "2026-01-01T00:00:00Z"): V1Pod => ({
  metadata: { name, creationTimestamp: new Date(created) },
  status: { phase: "Running", podIP: ip, conditions: [{ type: "Ready", status: "True" }] },
})
const pending = (name: string, created = "2026-01-01T00:00:01Z"): V1Pod => ({
  metadata: { name, creationTimestamp: new Date(created) },
  status: { phase: "Pending" },
})
const deployment = (replicas: number): V1Deployment => ({
  metadata: { name: `ss-${id}` },
  spec: { replicas } as V1Deployment["spec"],
})

test("a pod is ready only when Running, Ready and holding an IP; one being deleted is never ready", () => {
  expect(judgePod(ready("p"))).toEqual({ state: "ready", ip: "10.244.0.7" })
  expect(judgePod({ ...ready("p"), status: { ...ready("p").status, podIP: undefined } })).toEqual({ state: "pending" })
  expect(judgePod({ ...ready("p"), status: { ...ready("p").status, conditions: [{ type: "Ready", status: "False" }] } })).toEqual(
    {
      state: "pending",
    },
  )
  expect(judgePod({ ...ready("p"), metadata: { name: "p", deletionTimestamp: new Date() } })).toEqual({ state: "pending" })
})

test("a container that cannot start, a pod that ended and an OOM kill are failures with the reason", () => {
  const stuck: V1Pod = {
    metadata: { name: "p" },
    status: {
      phase: "Pending",
      containerStatuses: [
        {
          name: "desktop",
          image: "x",
          imageID: "",
          ready: false,
          restartCount: 0,
          state: { waiting: { reason: "ImagePullBackOff", message: "no such image" } },
        },
      ],
    },
  }
  expect(judgePod(stuck)).toEqual({ state: "failed", reason: expect.stringContaining("ImagePullBackOff (no such image)") })
  expect(judgePod({ metadata: { name: "p" }, status: { phase: "Failed", reason: "Evicted" } })).toEqual({
    state: "failed",
    reason: expect.stringContaining("Failed: Evicted"),
  })
  const oom: V1Pod = {
    metadata: { name: "p" },
    status: {
      phase: "Running",
      containerStatuses: [
        {
          name: "desktop",
          image: "x",
          imageID: "",
          ready: false,
          restartCount: 1,
          lastState: { terminated: { exitCode: 137, reason: "OOMKilled" } },
        },
      ],
    },
  }
  expect(judgePod(oom)).toEqual({ state: "failed", reason: "the session ran out of memory and was killed" })
})

test("the session's state: zero replicas is hibernated; otherwise the ready pod, else the newest live one, speaks", () => {
  expect(reportFor(id, deployment(0), [])).toEqual({ sessionId: id, state: "hibernated" })
  expect(reportFor(id, deployment(1), [])).toEqual({ sessionId: id, state: "starting" })
  expect(reportFor(id, deployment(1), [pending("new"), ready("old")])).toEqual({ sessionId: id, state: "running" })
  expect(reportFor(id, deployment(1), [pending("a", "2026-01-01T00:00:01Z"), pending("b", "2026-01-01T00:00:05Z")])).toEqual({
    sessionId: id,
    state: "starting",
  })
  // Across days (a Friday before a Thursday as text, not as time): the newest wins.
  expect(currentPod([pending("a", "2026-01-02T00:00:00Z"), pending("b", "2026-01-08T00:00:00Z")])?.metadata?.name).toBe("b")
  expect(currentPod([pending("b", "2026-01-08T00:00:00Z"), pending("a", "2026-01-02T00:00:00Z")])?.metadata?.name).toBe("b")
})
