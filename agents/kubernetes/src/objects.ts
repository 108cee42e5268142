// Builds the Kubernetes objects of one session from its spec: Deployment, home claim, VNC Secret, NetworkPolicy.
//
// Why a Deployment of one replica and not a bare Pod: hibernate is `replicas: 0`, which keeps the
// whole pod template in the cluster, so wake is one scale call and any agent replica can wake a
// session after a restart; a pod lost with its node is recreated by the ReplicaSet controller
// instead of being gone; and the pod's IP changes on wake, which the agent reads from its pod watch.
import type {
  V1Deployment,
  V1NetworkPolicy,
  V1NetworkPolicyPeer,
  V1PersistentVolumeClaim,
  V1Secret,
} from "@kubernetes/client-node"
import type { SessionSpec } from "@streamspace/schemas"
import { LABEL, MANAGED_BY, VNC_PORT_ANNOTATION, homeClaimName, sessionObjectName } from "./naming.ts"

export interface ObjectPlan {
  agentName: string
  namespace: string
  /** storageClassName of home claims; unset: the cluster's default class. */
  storageClass?: string
  /** Size requested for a new home claim, e.g. "1Gi". */
  homeSize: string
  /** Labels of the agent's own pods: the NetworkPolicy admits only them to the VNC port. */
  agentPodLabels: Record<string, string>
  /** The agent's namespace when it differs from the sessions' (matched by its `kubernetes.io/metadata.name` label). */
  agentNamespace?: string
}

/** Key of the VNC password in the session's Secret. */
export const VNC_SECRET_KEY = "vnc-password"
/** Variables the driver sets itself; a template cannot override them. */
const RESERVED_ENV = new Set(["VNC_PASSWORD", "VNC_PORT"])

const ownerLabels = (plan: ObjectPlan, spec: SessionSpec) => ({
  [LABEL.managed]: MANAGED_BY,
  [LABEL.agent]: plan.agentName,
  [LABEL.user]: spec.userId,
  [LABEL.template]: spec.templateName,
})

/** Labels that tie an object to one session; also the Deployment's selector. */
export const sessionLabels = (agentName: string, sessionId: string) => ({
  [LABEL.managed]: MANAGED_BY,
  [LABEL.agent]: agentName,
  [LABEL.session]: sessionId,
})

const labelsOf = (plan: ObjectPlan, spec: SessionSpec, component: string) => ({
  ...ownerLabels(plan, spec),
  [LABEL.session]: spec.sessionId,
  [LABEL.component]: component,
})

/** Kubernetes quantities: whole millicores and MiB, so 0.5 cores is "500m" and never a float rounding surprise. */
export const cpuQuantity = (cores: number): string => `${Math.max(1, Math.round(cores * 1000))}m`
export const memoryQuantity = (mib: number): string => `${mib}Mi`

export function deploymentFor(spec: SessionSpec, plan: ObjectPlan): V1Deployment {
  const name = sessionObjectName(spec.sessionId)
  const labels = labelsOf(plan, spec, "workload")
  // Requests equal limits (Guaranteed QoS): a desktop gets what its template promises, and the
  // scheduler's view of free room is the truth rather than an overcommitted hope.
  const resources = { cpu: cpuQuantity(spec.resources.cpu), memory: memoryQuantity(spec.resources.memory) }
  const env = Object.entries(spec.env)
    .filter(([key]) => !RESERVED_ENV.has(key))
    .map(([name, value]) => ({ name, value }))
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: plan.namespace, labels, annotations: { [VNC_PORT_ANNOTATION]: String(spec.vncPort) } },
    spec: {
      replicas: 1,
      // Recreate: two pods of one session must never run at once (one home claim, one desktop).
      strategy: { type: "Recreate" },
      revisionHistoryLimit: 0,
      selector: { matchLabels: sessionLabels(plan.agentName, spec.sessionId) },
      template: {
        metadata: { labels },
        spec: {
          hostname: "desktop",
          // A desktop has no business with the Kubernetes API or with the namespace's services.
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 5,
          containers: [
            {
              name: "desktop",
              image: spec.image,
              env: [
                ...env,
                // The image's entrypoint turns VNC_PASSWORD into a passwd file and drops it from its children's environment.
                { name: "VNC_PASSWORD", valueFrom: { secretKeyRef: { name, key: VNC_SECRET_KEY } } },
                { name: "VNC_PORT", value: String(spec.vncPort) },
              ],
              ports: [{ name: "vnc", containerPort: spec.vncPort, protocol: "TCP" }],
              resources: { requests: resources, limits: resources },
              readinessProbe: { tcpSocket: { port: spec.vncPort }, periodSeconds: 2, failureThreshold: 3 },
              securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
              volumeMounts: [{ name: "home", mountPath: spec.homePath }],
            },
          ],
          volumes: [
            {
              name: "home",
              persistentVolumeClaim: { claimName: homeClaimName(plan.agentName, spec.userId, spec.templateName) },
            },
          ],
        },
      },
    },
  }
}

export function homeClaimFor(spec: SessionSpec, plan: ObjectPlan): V1PersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: {
      name: homeClaimName(plan.agentName, spec.userId, spec.templateName),
      namespace: plan.namespace,
      // No session label: the home outlives every session of its user and template.
      labels: { ...ownerLabels(plan, spec), [LABEL.component]: "home" },
    },
    spec: {
      accessModes: ["ReadWriteOnce"],
      resources: { requests: { storage: plan.homeSize } },
      ...(plan.storageClass ? { storageClassName: plan.storageClass } : {}),
    },
  }
}

export function vncSecretFor(spec: SessionSpec, plan: ObjectPlan, password: string): V1Secret {
  return {
    apiVersion: "v1",
    kind: "Secret",
    type: "Opaque",
    metadata: { name: sessionObjectName(spec.sessionId), namespace: plan.namespace, labels: labelsOf(plan, spec, "vnc-secret") },
    stringData: { [VNC_SECRET_KEY]: password },
  }
}

export function networkPolicyFor(spec: SessionSpec, plan: ObjectPlan): V1NetworkPolicy {
  const agent: V1NetworkPolicyPeer = { podSelector: { matchLabels: plan.agentPodLabels } }
  if (plan.agentNamespace && plan.agentNamespace !== plan.namespace)
    agent.namespaceSelector = { matchLabels: { "kubernetes.io/metadata.name": plan.agentNamespace } }
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: {
      name: sessionObjectName(spec.sessionId),
      namespace: plan.namespace,
      labels: labelsOf(plan, spec, "network-policy"),
    },
    spec: {
      podSelector: { matchLabels: sessionLabels(plan.agentName, spec.sessionId) },
      // Only the agent reaches the VNC port; nothing else reaches the desktop at all.
      ingress: [{ _from: [agent], ports: [{ protocol: "TCP", port: spec.vncPort }] }],
      // A session without outbound access may not open connections either (the Docker agent's internal network).
      policyTypes: spec.allowOutbound ? ["Ingress"] : ["Ingress", "Egress"],
      ...(spec.allowOutbound ? {} : { egress: [] }),
    },
  }
}
