// @streamspace/agent-kubernetes: the SessionDriver on Kubernetes and the Lease backend for leader election.
export {
  KubernetesSessionDriver,
  type KubernetesSessionDriverOptions,
  type PodAddressResolver,
} from "./kubernetes-session-driver.ts"
export { KubernetesLeaseBackend, type KubernetesLeaseBackendOptions } from "./lease/kubernetes-lease-backend.ts"
export { kubeApis, loadKubeConfig } from "./kube-client.ts"
