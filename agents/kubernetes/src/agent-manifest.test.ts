// deploy/kubernetes/{rbac,agent}.yaml applied as they are, in the README's order, to a real apiserver +
// controller-manager + scheduler with two fake kubelets (two nodes). The fake kubelets run no container:
// the agent process in the pods is not started (leader-failover.test.ts runs it with rbac.yaml's
// permissions); here its configuration is read from the pods' environment instead.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import {
  AppsV1Api,
  CoreV1Api,
  KubernetesObjectApi,
  type V1Container,
  type V1Deployment,
  type V1Pod,
  type V1PodDisruptionBudget,
} from "@kubernetes/client-node"
import { KubernetesAgentConfig } from "@streamspace/schemas"
import { loadAgentSettings } from "./config.ts"
import { eventually } from "./testing/eventually.ts"
import { FakeKubelet } from "./testing/fake-kubelet.ts"
import { type KubeCluster, startKubeCluster } from "./testing/kube-cluster.ts"
import { createAsIs, DEPLOY_DIR, type Manifest, readManifest } from "./testing/manifests.ts"
import { type OpenApiCheck, openApiCheck } from "./testing/openapi-check.ts"

const TOKEN = "ssa_token-from-the-control-plane"

const rbac = readManifest("rbac.yaml")
const agent = readManifest("agent.yaml")
const deployment = agent.find((o) => o.kind === "Deployment") as V1Deployment & Manifest
const container = deployment.spec?.template.spec?.containers[0] as V1Container

/** This apiserver is 1.20: it serves PodDisruptionBudgets as policy/v1beta1 only (v1 from 1.21, same fields we use). */
const for120 = (o: Manifest): Manifest =>
  o.kind === "PodDisruptionBudget" && o.apiVersion === "policy/v1" ? { ...o, apiVersion: "policy/v1beta1" } : o

let cluster: KubeCluster
let kubelets: FakeKubelet[]
let check: OpenApiCheck
let core: CoreV1Api
let apps: AppsV1Api

beforeAll(async () => {
  cluster = await startKubeCluster()
  const kc = cluster.kubeConfig()
  kubelets = [new FakeKubelet(kc, "node-a"), new FakeKubelet(kc, "node-b")]
  await Promise.all(kubelets.map((k) => k.start()))
  check = await openApiCheck(cluster)
  core = kc.makeApiClient(CoreV1Api)
  apps = kc.makeApiClient(AppsV1Api)
  // What the README tells the admin: rbac.yaml, the token Secret, then the directory (rbac.yaml again, unchanged).
  for (const o of rbac) await createAsIs(cluster, o)
  await core.createNamespacedSecret({
    namespace: "streamspace",
    body: { metadata: { name: "streamspace-agent-token" }, stringData: { token: TOKEN } },
  })
  for (const o of agent) await createAsIs(cluster, for120(o))
}, 120_000)

afterAll(async () => {
  for (const k of kubelets ?? []) k.stop()
  await cluster?.stop()
})

/** The pods of the agent's Deployment once both are Ready. */
const readyPods = () =>
  eventually(
    async () => {
      const pods = await core.listNamespacedPod({
        namespace: "streamspace",
        labelSelector: "app.kubernetes.io/name=streamspace-agent",
      })
      const ready = pods.items.filter((p) => p.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"))
      expect(ready).toHaveLength(2)
      return ready
    },
    60_000,
    100,
  )

/** The container's environment as the kubelet would give it: Secret keys and pod fields resolved. */
async function containerEnv(pod: V1Pod): Promise<Record<string, string>> {
  const env: Record<string, string> = {}
  for (const e of pod.spec?.containers[0]?.env ?? []) {
    const secret = e.valueFrom?.secretKeyRef
    const field = e.valueFrom?.fieldRef?.fieldPath
    if (secret) {
      const s = await core.readNamespacedSecret({ name: secret.name as string, namespace: "streamspace" })
      env[e.name] = Buffer.from(s.data?.[secret.key] ?? "", "base64").toString("utf8")
    } else if (field === "metadata.namespace") env[e.name] = pod.metadata?.namespace ?? ""
    else if (field === "metadata.name") env[e.name] = pod.metadata?.name ?? ""
    else env[e.name] = e.value ?? ""
  }
  return env
}

describe("deploy/kubernetes on a real apiserver (fake kubelets: the agent process in the pods is not started)", () => {
  test("every object passes the apiserver's OpenAPI schema: no unknown field, no missing one, every kind served", () => {
    expect([...rbac, ...agent].map((o) => [o.kind, check(for120(o))])).toEqual([...rbac, ...agent].map((o) => [o.kind, []]))
    expect(agent.map((o) => `${o.apiVersion} ${o.kind}`)).toEqual(["apps/v1 Deployment", "policy/v1 PodDisruptionBudget"])
    // `kubectl apply -f deploy/kubernetes/` applies every file there: each must be checked here.
    expect(readdirSync(DEPLOY_DIR).sort()).toEqual(["agent.yaml", "rbac.yaml"])
  })

  test("the schema check refuses a misspelled field, a wrong type and an apiVersion the apiserver does not serve", () => {
    // An admin's typos in the file's text.
    const text = readFileSync(join(DEPLOY_DIR, "agent.yaml"), "utf8")
      .replace("readOnlyRootFilesystem: true", "readOnlyRootFileSystem: true")
      .replace("replicas: 2", 'replicas: "2"')
    const [broken] = [Bun.YAML.parse(text)].flat() as Manifest[]
    expect(check(broken as Manifest)).toEqual([
      'Deployment.spec.replicas: expected integer, got string "2"',
      'Deployment.spec.template.spec.containers[0].securityContext: unknown field "readOnlyRootFileSystem"',
    ])
    expect(check({ ...deployment, apiVersion: "apps/v1beta3" })).toEqual([
      "Deployment: this apiserver serves no apps/v1beta3 Deployment",
    ])
  })

  test("two replicas of the agent are scheduled on different nodes and go Ready, as the streamspace-agent service account", async () => {
    const pods = await readyPods()
    expect(new Set(pods.map((p) => p.spec?.nodeName))).toEqual(new Set(["node-a", "node-b"]))
    for (const pod of pods) {
      expect(pod.spec?.serviceAccountName).toBe("streamspace-agent")
      // The ServiceAccount admission plugin mounted the account's token: in-cluster credentials for the agent.
      expect(pod.spec?.containers[0]?.volumeMounts?.map((m) => m.mountPath)).toContain(
        "/var/run/secrets/kubernetes.io/serviceaccount",
      )
      expect(pod.spec?.containers[0]?.command).toEqual(["bun", "agents/kubernetes/src/main.ts"])
    }
    // The Deployment's status follows its pods through the ReplicaSet controller, a moment later.
    const d = await eventually(async () => {
      const d = await apps.readNamespacedDeployment({ name: "streamspace-agent", namespace: "streamspace" })
      expect(d.status?.readyReplicas).toBe(2)
      return d
    }, 30_000)
    expect(d.spec?.template.spec?.affinity?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution).toHaveLength(1)
  }, 90_000)

  test("the environment is what config.ts reads: the token from the Secret, the namespaces and Lease rbac.yaml grants", async () => {
    const names = (container.env ?? []).map((e) => e.name)
    const known = Object.keys(KubernetesAgentConfig.properties)
    const needed = KubernetesAgentConfig.required?.filter(
      (k) => (KubernetesAgentConfig.properties as Record<string, { default?: unknown }>)[k]?.default === undefined,
    )
    expect(names.filter((n) => !known.includes(n))).toEqual([])
    expect(needed?.filter((n) => !names.includes(n))).toEqual([])
    expect(names).not.toContain("KUBECONFIG") // in-cluster credentials
    // No token in the file: it comes from the Secret the admin made.
    expect(container.env?.find((e) => e.name === "STREAMSPACE_AGENT_TOKEN")?.valueFrom?.secretKeyRef).toEqual({
      name: "streamspace-agent-token",
      key: "token",
    })
    expect(readFileSync(join(DEPLOY_DIR, "agent.yaml"), "utf8")).not.toMatch(/ssa_[A-Za-z0-9]/)

    const [pod] = await readyPods()
    const settings = loadAgentSettings(await containerEnv(pod as V1Pod))
    expect(settings.token).toBe(TOKEN)
    expect(settings.kubeconfig).toBeNull()
    expect(settings.leaderElection).toBe(true)
    expect(settings.agentNamespace).toBe("streamspace")
    const binding = (name: string) => rbac.find((o) => o.kind === "RoleBinding" && o.metadata?.name === name)
    expect(binding("streamspace-agent-sessions")?.metadata?.namespace).toBe(settings.sessionNamespace)
    expect(binding("streamspace-agent-leader")?.metadata?.namespace).toBe(settings.agentNamespace)
    const leaderRole = rbac.find((o) => o.kind === "Role" && o.metadata?.name === "streamspace-agent-leader")
    const rules = (leaderRole?.rules ?? []) as { resourceNames?: string[] }[]
    expect(rules.flatMap((r) => r.resourceNames ?? [])).toContain(`streamspace-agent-${settings.name}`)
    // The sessions' NetworkPolicies admit pods with AGENT_POD_LABELS: these pods must carry them.
    expect(pod?.metadata?.labels).toMatchObject(settings.agentPodLabels)
  }, 90_000)

  test("the pods are locked down and sized: non-root, read-only root, no capabilities, RuntimeDefault seccomp, limits", async () => {
    const [pod] = await readyPods()
    expect(pod?.spec?.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 1000,
      seccompProfile: { type: "RuntimeDefault" },
    })
    const c = pod?.spec?.containers[0]
    expect(c?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
    })
    expect(Object.keys(c?.resources?.requests ?? {}).sort()).toEqual(["cpu", "memory"])
    expect(Object.keys(c?.resources?.limits ?? {}).sort()).toEqual(["cpu", "memory"])
    // The agent serves no HTTP endpoint, so there is nothing a probe could ask.
    expect([c?.livenessProbe, c?.readinessProbe, c?.startupProbe]).toEqual([undefined, undefined, undefined])
  }, 90_000)

  test("a PodDisruptionBudget lets a drain take at most one replica, and selects the Deployment's pods", async () => {
    const objects = KubernetesObjectApi.makeApiClient(cluster.kubeConfig())
    const pdb = await objects.read<V1PodDisruptionBudget>({
      apiVersion: "policy/v1beta1",
      kind: "PodDisruptionBudget",
      metadata: { name: "streamspace-agent", namespace: "streamspace" },
    })
    expect(pdb.spec?.maxUnavailable).toBe(1)
    expect(pdb.spec?.selector?.matchLabels).toEqual(deployment.spec?.selector.matchLabels)
  })
})
