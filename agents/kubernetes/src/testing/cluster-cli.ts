// Starts the test cluster (apiserver + controllers + scheduler + fake kubelet, the agent's RBAC applied) for tests
// in other packages, which run it by path: prints one JSON line {kubeconfig, sessionNamespace, agentNamespace},
// then keeps it up until SIGTERM/SIGINT (or stdin closes, so an abandoned cluster never outlives its test).
import { startSessionCluster } from "./session-cluster.ts"

const env = await startSessionCluster()
const ns = await env.agentNamespaces()
console.log(
  JSON.stringify({
    kubeconfig: env.cluster.kubeconfigFor(ns.token),
    sessionNamespace: ns.sessionNamespace,
    agentNamespace: ns.agentNamespace,
  }),
)

let stopping = false
const stop = async () => {
  if (stopping) return
  stopping = true
  await env.stop()
  process.exit(0)
}
process.on("SIGTERM", () => void stop())
process.on("SIGINT", () => void stop())
void (async () => {
  // Nothing is read; the stream ends when the parent goes away.
  const reader = Bun.stdin.stream().getReader()
  while (!(await reader.read()).done) {}
  await stop()
})()
