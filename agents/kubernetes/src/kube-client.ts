// Connects to the Kubernetes API: a kubeconfig file when given, else in-cluster (the pod's service account).
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from "@kubernetes/client-node"
import type { KubeApis } from "./session-objects.ts"

/**
 * `inClusterRoot` prefixes the service-account files (/var/run/secrets/kubernetes.io/serviceaccount/…),
 * for tests; in a pod it is empty. In-cluster mode also needs KUBERNETES_SERVICE_HOST/PORT, which
 * the kubelet sets and client-node reads.
 */
export function loadKubeConfig(kubeconfig: string | null, inClusterRoot = ""): KubeConfig {
  const kc = new KubeConfig()
  if (kubeconfig) kc.loadFromFile(kubeconfig)
  else kc.loadFromCluster(inClusterRoot)
  const server = kc.getCurrentCluster()?.server
  if (!server) throw new Error(kubeconfig ? `${kubeconfig} names no current cluster.` : "No in-cluster configuration found.")
  if (!kubeconfig && server.includes("undefined"))
    throw new Error("This is not a pod (KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are unset).")
  return kc
}

export function kubeApis(kc: KubeConfig): KubeApis & { coordination: CoordinationV1Api } {
  return {
    apps: kc.makeApiClient(AppsV1Api),
    core: kc.makeApiClient(CoreV1Api),
    networking: kc.makeApiClient(NetworkingV1Api),
    coordination: kc.makeApiClient(CoordinationV1Api),
  }
}
