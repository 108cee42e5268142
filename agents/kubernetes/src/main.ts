// The Kubernetes agent process: runs sessions as Deployments in one namespace for the control planes it connects to;
// replicas elect a leader on a Lease and only the leader changes anything.
import { AgentRuntime, LeaseElector } from "@streamspace/agent-runtime"
import { EnvConfigError } from "@streamspace/schemas"
import pino from "pino"
import pkg from "../package.json" with { type: "json" }
import { loadAgentSettings } from "./config.ts"
import { kubeApis, loadKubeConfig } from "./kube-client.ts"
import { KubernetesSessionDriver } from "./kubernetes-session-driver.ts"
import { KubernetesLeaseBackend } from "./lease/kubernetes-lease-backend.ts"

function fail(line: string, code: number): never {
  console.error(line)
  process.exit(code)
}

let settings: ReturnType<typeof loadAgentSettings>
try {
  settings = loadAgentSettings(process.env)
} catch (e) {
  if (!(e instanceof EnvConfigError)) throw e
  fail(e.message, 2)
}

const log = pino({
  level: settings.logLevel,
  base: { service: "agent-kubernetes", agent: settings.name, instanceId: settings.instanceId },
  redact: { paths: ["*.token", "*.password", "*.secret", "*.authorization"], censor: "[redacted]" },
})

let kc: ReturnType<typeof loadKubeConfig>
try {
  kc = loadKubeConfig(settings.kubeconfig)
} catch (e) {
  fail(`Cannot load the Kubernetes configuration: ${(e as Error).message} Set KUBECONFIG or run in a pod.`, 2)
}
const apis = kubeApis(kc)

const elector = settings.leaderElection
  ? new LeaseElector({
      backend: new KubernetesLeaseBackend({
        api: apis.coordination,
        namespace: settings.agentNamespace,
        name: `streamspace-agent-${settings.name}`,
      }),
      // Unique per process: a restarted replica is a new holder and never mistakes its predecessor's lease for its own.
      holder: `${settings.instanceId}/${process.pid}-${crypto.randomUUID().slice(0, 8)}`,
      log,
      timings: settings.lease,
    })
  : null
const isLeader = () => elector?.isLeader ?? true

const driver = new KubernetesSessionDriver({
  kubeConfig: kc,
  apis,
  log,
  agentName: settings.name,
  namespace: settings.sessionNamespace,
  agentNamespace: settings.agentNamespace,
  agentPodLabels: settings.agentPodLabels,
  storageClass: settings.storageClass,
  homeSize: settings.homeSize,
  maxSessions: settings.maxSessions,
  readyTimeoutMs: settings.readyTimeoutMs,
  isLeader,
})
try {
  await driver.open()
} catch (e) {
  fail(`Cannot watch the sessions in namespace ${settings.sessionNamespace}: ${(e as Error).message}`, 1)
}

const runtime = new AgentRuntime({
  urls: settings.urls,
  token: settings.token,
  instanceId: settings.instanceId,
  cluster: settings.cluster,
  version: pkg.version,
  driver,
  log,
  elector: elector ?? undefined,
})
driver.onVanished((report) => {
  if (isLeader()) runtime.report(report)
})
runtime.start()
log.info(
  { urls: settings.urls, namespace: settings.sessionNamespace, leaderElection: settings.leaderElection },
  "Kubernetes agent started",
)

void runtime.done.then((status) => {
  if (status === "refused") fail(`The control plane refused this agent: ${runtime.refusal}`, 3)
})

let stopping = false
const shutdown = async (signal: string) => {
  if (stopping) return
  stopping = true
  log.info({ signal }, "Kubernetes agent stopping; its sessions keep running")
  // Releases the Lease first, so a follower leads at once instead of after the Lease runs out.
  await Promise.race([runtime.stop(), Bun.sleep(2_000)])
  driver.close()
  process.exit(0)
}
process.on("SIGTERM", () => void shutdown("SIGTERM"))
process.on("SIGINT", () => void shutdown("SIGINT"))
