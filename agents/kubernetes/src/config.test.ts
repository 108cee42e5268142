import { expect, test } from "bun:test"
import { loadAgentSettings } from "./config.ts"

const base = { STREAMSPACE_URLS: "http://cp:8080", STREAMSPACE_AGENT_TOKEN: "ssa_secret" }

test("defaults: in-cluster, Lease election at 3 s / 1 s / 0.5 s, sessions in streamspace-sessions", () => {
  const s = loadAgentSettings(base)
  expect(s.kubeconfig).toBeNull()
  expect(s.leaderElection).toBe(true)
  expect(s.lease).toEqual({ leaseMs: 3000, renewMs: 1000, retryMs: 500 })
  expect(s.sessionNamespace).toBe("streamspace-sessions")
  expect(s.agentNamespace).toBe("streamspace-sessions")
  expect(s.agentPodLabels).toEqual({ "app.kubernetes.io/name": "streamspace-agent" })
  expect(s.homeSize).toBe("1Gi")
})

test("settings are read from the environment and checked, one line naming the variable", () => {
  const s = loadAgentSettings({
    ...base,
    KUBECONFIG: "/etc/kube/config",
    AGENT_NAMESPACE: "streamspace",
    AGENT_POD_LABELS: "app=agent,tier=ss",
    HOME_STORAGE_CLASS: "fast",
    LEADER_ELECTION: "none",
  })
  expect([s.kubeconfig, s.agentNamespace, s.storageClass, s.leaderElection]).toEqual([
    "/etc/kube/config",
    "streamspace",
    "fast",
    false,
  ])
  expect(s.agentPodLabels).toEqual({ app: "agent", tier: "ss" })
  expect(() => loadAgentSettings({ ...base, SESSION_NAMESPACE: "Not_A_Name" })).toThrow(/SESSION_NAMESPACE/)
  expect(() => loadAgentSettings({ ...base, HOME_SIZE: "lots" })).toThrow(/HOME_SIZE/)
  expect(() => loadAgentSettings({ ...base, LEADER_ELECTION: "redis" })).toThrow(/LEADER_ELECTION/)
  expect(() => loadAgentSettings({ ...base, LEADER_LEASE_MS: "2000", LEADER_RENEW_MS: "2000" })).toThrow(/renewMs/)
  expect(() => loadAgentSettings({ ...base, STREAMSPACE_AGENT_TOKEN: "nope" })).toThrow(/value not shown/)
})
