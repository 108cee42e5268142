// One real cluster per test file: apiserver + controllers + scheduler, the fake kubelet, and the
// agent's namespaces with deploy/kubernetes/rbac.yaml applied. Drivers made here use the agent's
// service-account token, never the admin's.
import { randomUUID } from "node:crypto"
import { AppsV1Api, CoordinationV1Api, CoreV1Api, type KubeConfig, NetworkingV1Api, Watch } from "@kubernetes/client-node"
import type { SessionSpec } from "@streamspace/schemas"
import pino, { type Logger } from "pino"
import { kubeApis } from "../kube-client.ts"
import { KubernetesSessionDriver, type KubernetesSessionDriverOptions } from "../kubernetes-session-driver.ts"
import { applyAgentRbac, type RbacNamespaces } from "./agent-rbac.ts"
import { FakeKubelet } from "./fake-kubelet.ts"
import { type KubeCluster, startKubeCluster } from "./kube-cluster.ts"

export interface SessionCluster {
  cluster: KubeCluster
  kubelet: FakeKubelet
  admin: {
    kc: KubeConfig
    core: CoreV1Api
    apps: AppsV1Api
    networking: NetworkingV1Api
    coordination: CoordinationV1Api
    watch: Watch
  }
  /** Silent unless TEST_LOG_LEVEL says otherwise. */
  log: Logger
  /** Fresh namespaces with the agent's RBAC applied; returns them and the agent's token. */
  agentNamespaces(without?: { resource: string; verb: string }): Promise<RbacNamespaces & { token: string }>
  /** A driver with the agent's credentials in fresh (or given) namespaces; closed by stop(). */
  driver(
    overrides?: Partial<KubernetesSessionDriverOptions>,
    ns?: RbacNamespaces & { token: string },
  ): Promise<{ driver: KubernetesSessionDriver; ns: RbacNamespaces & { token: string } }>
  stop(): Promise<void>
}

export async function startSessionCluster(): Promise<SessionCluster> {
  const cluster = await startKubeCluster()
  const kc = cluster.kubeConfig()
  const admin = {
    kc,
    core: kc.makeApiClient(CoreV1Api),
    apps: kc.makeApiClient(AppsV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
    watch: new Watch(kc),
  }
  const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" })
  const kubelet = new FakeKubelet(kc)
  try {
    await kubelet.start()
  } catch (err) {
    await cluster.stop()
    throw err
  }
  const drivers: KubernetesSessionDriver[] = []
  const agentNamespaces = async (without?: { resource: string; verb: string }) => {
    const run = randomUUID().slice(0, 8)
    const ns = { agentNamespace: `agent-${run}`, sessionNamespace: `sessions-${run}` }
    const token = await applyAgentRbac(kc, ns, without)
    return { ...ns, token }
  }
  return {
    cluster,
    kubelet,
    admin,
    log,
    agentNamespaces,
    async driver(overrides = {}, given) {
      const ns = given ?? (await agentNamespaces())
      const agentKc = cluster.kubeConfig(ns.token)
      const driver = new KubernetesSessionDriver({
        kubeConfig: agentKc,
        apis: kubeApis(agentKc),
        log,
        agentName: "kubernetes",
        namespace: ns.sessionNamespace,
        agentNamespace: ns.agentNamespace,
        agentPodLabels: { "app.kubernetes.io/name": "streamspace-agent" },
        homeSize: "1Gi",
        maxSessions: 50,
        readyTimeoutMs: 60_000,
        ...overrides,
      })
      drivers.push(driver)
      await driver.open()
      return { driver, ns }
    },
    async stop() {
      for (const d of drivers) d.close()
      kubelet.stop()
      await cluster.stop()
    },
  }
}

export function sessionSpec(overrides: Partial<SessionSpec> = {}): SessionSpec {
  return {
    sessionId: randomUUID(),
    userId: randomUUID(),
    username: "ada",
    templateName: "desktop",
    image: "streamspace/desktop:latest",
    vncPort: 5900,
    resources: { cpu: 0.5, memory: 256 },
    env: {},
    homePath: "/home/user",
    allowOutbound: false,
    ...overrides,
  }
}
