// FAKE kubelet (and fake volume provisioner) for tests: no kubelet or container runtime can run
// here, so this registers a Ready Node, marks the pods scheduled to it Running/Ready with a
// 10.244.x.x IP, finalizes their deletion, and binds each pending claim to a new hostPath volume.
// Pod IPs are data only; the VNC byte path is tested against a loopback server instead.
import {
  CoreV1Api,
  type KubeConfig,
  PatchStrategy,
  type V1PersistentVolumeClaim,
  type V1Pod,
  Watch,
  setHeaderOptions,
} from "@kubernetes/client-node"
import pino from "pino"
import { ListWatch } from "../list-watch.ts"

const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch)

export class FakeKubelet {
  readonly nodeName: string
  private readonly core: CoreV1Api
  private readonly pods: ListWatch<V1Pod>
  private readonly claims: ListWatch<V1PersistentVolumeClaim>
  private readonly handled = new Set<string>()
  private nextIp = 0
  /** Pods made Ready so far (the benchmark and tests read it). */
  readied = 0
  /** While true, new pods stay Pending (a test of waiting). */
  paused = false
  /** Images this kubelet "cannot pull": their pods' containers wait in ErrImagePull, as a real kubelet reports. */
  readonly unpullable = new Set<string>()

  constructor(kc: KubeConfig, nodeName = "fake-node") {
    this.nodeName = nodeName
    this.core = kc.makeApiClient(CoreV1Api)
    const watch = new Watch(kc)
    const log = pino({ level: "silent" })
    this.pods = new ListWatch<V1Pod>({
      kind: "pods",
      path: "/api/v1/pods",
      fieldSelector: `spec.nodeName=${nodeName}`,
      list: () => this.core.listPodForAllNamespaces({ fieldSelector: `spec.nodeName=${nodeName}` }),
      watch,
      log,
    })
    this.claims = new ListWatch<V1PersistentVolumeClaim>({
      kind: "claims",
      path: "/api/v1/persistentvolumeclaims",
      list: () => this.core.listPersistentVolumeClaimForAllNamespaces({}),
      watch,
      log,
    })
    this.pods.onChange((type, pod) => {
      if (type !== "deleted") void this.tend(pod).catch(() => {})
    })
    this.claims.onChange((type, claim) => {
      if (type !== "deleted") void this.provision(claim).catch(() => {})
    })
  }

  async start(): Promise<void> {
    await this.core.createNode({
      body: {
        metadata: { name: this.nodeName, labels: { "kubernetes.io/hostname": this.nodeName } },
        status: {
          conditions: [{ type: "Ready", status: "True", reason: "FakeKubeletReady", message: "fake kubelet" }],
          capacity: { cpu: "64", memory: "256Gi", pods: "1000" },
          allocatable: { cpu: "64", memory: "256Gi", pods: "1000" },
        },
      },
    })
    // The TaintNodesByCondition admission plugin taints every new node not-ready; the node lifecycle
    // controller would lift it after the kubelet's first heartbeat. This kubelet lifts it itself.
    await this.core.patchNode({ name: this.nodeName, body: { spec: { taints: null } } }, mergePatch)
    await Promise.all([this.pods.start(), this.claims.start()])
  }

  stop(): void {
    this.pods.stop()
    this.claims.stop()
  }

  /** Makes the pods that are still waiting go Ready (after `paused`). */
  release(): void {
    this.paused = false
    for (const pod of this.pods.values()) void this.tend(pod).catch(() => {})
  }

  private async tend(pod: V1Pod): Promise<void> {
    const name = pod.metadata?.name ?? ""
    const namespace = pod.metadata?.namespace ?? ""
    const key = `${namespace}/${name}/${pod.metadata?.uid}`
    if (pod.metadata?.deletionTimestamp) {
      if (this.handled.has(`${key}/deleted`)) return
      this.handled.add(`${key}/deleted`)
      // What the kubelet does once the containers are gone: the final, immediate delete.
      await this.core.deleteNamespacedPod({ name, namespace, gracePeriodSeconds: 0 })
      return
    }
    if (this.paused || this.handled.has(key) || pod.status?.phase === "Running") return
    this.handled.add(key)
    const bad = pod.spec?.containers.find((c) => this.unpullable.has(c.image ?? ""))
    if (bad) return this.cannotPull(name, namespace, bad.name, bad.image ?? "")
    const n = this.nextIp++
    const now = new Date().toISOString()
    const containers = pod.spec?.containers ?? []
    await this.core.patchNamespacedPodStatus(
      {
        name,
        namespace,
        body: {
          status: {
            phase: "Running",
            podIP: `10.244.${Math.floor(n / 250) % 250}.${(n % 250) + 2}`,
            hostIP: "10.0.0.1",
            startTime: now,
            conditions: ["Initialized", "ContainersReady", "Ready", "PodScheduled"].map((type) => ({
              type,
              status: "True",
              lastTransitionTime: now,
            })),
            containerStatuses: containers.map((c) => ({
              name: c.name,
              image: c.image,
              imageID: c.image,
              ready: true,
              restartCount: 0,
              started: true,
              state: { running: { startedAt: now } },
            })),
          },
        },
      },
      mergePatch,
    )
    this.readied++
  }

  private async cannotPull(name: string, namespace: string, container: string, image: string): Promise<void> {
    const message = `rpc error: pull access denied for ${image} (fake kubelet)`
    await this.core.patchNamespacedPodStatus(
      {
        name,
        namespace,
        body: {
          status: {
            phase: "Pending",
            containerStatuses: [
              {
                name: container,
                image,
                imageID: "",
                ready: false,
                restartCount: 0,
                state: { waiting: { reason: "ErrImagePull", message } },
              },
            ],
          },
        },
      },
      mergePatch,
    )
  }

  /** A volume pre-bound to the claim: the persistent-volume controller binds the pair. */
  private async provision(claim: V1PersistentVolumeClaim): Promise<void> {
    if (claim.status?.phase === "Bound" || claim.spec?.volumeName) return
    const uid = claim.metadata?.uid ?? ""
    if (this.handled.has(`claim/${uid}`)) return
    this.handled.add(`claim/${uid}`)
    await this.core.createPersistentVolume({
      body: {
        metadata: { name: `fake-pv-${uid}` },
        spec: {
          capacity: { storage: claim.spec?.resources?.requests?.storage ?? "1Gi" },
          accessModes: claim.spec?.accessModes ?? ["ReadWriteOnce"],
          persistentVolumeReclaimPolicy: "Delete",
          storageClassName: claim.spec?.storageClassName ?? "",
          hostPath: { path: `/tmp/fake-pv/${uid}` },
          claimRef: { namespace: claim.metadata?.namespace, name: claim.metadata?.name, uid },
        },
      },
    })
  }
}
