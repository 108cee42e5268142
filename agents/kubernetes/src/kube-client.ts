// Connects to the Kubernetes API: a kubeconfig file when given, else in-cluster (the pod's service account).
import { AppsV1Api, CoordinationV1Api, CoreV1Api, KubeConfig, NetworkingV1Api } from "@kubernetes/client-node"
import type { KubeApis } from "./session-objects.ts"

export function loadKubeConfig(kubeconfig: string | null): KubeConfig {
  const kc = new KubeConfig()
  if (kubeconfig) kc.loadFromFile(kubeconfig)
  else kc.loadFromCluster()
  if (!kc.getCurrentCluster())
    throw new Error(kubeconfig ? `${kubeconfig} names no current cluster.` : "No in-cluster configuration found.")
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
