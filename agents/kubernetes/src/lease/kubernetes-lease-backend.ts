// LeaseBackend on a coordination.k8s.io/v1 Lease: one API round trip per attempt, optimistic
// concurrency by resourceVersion, fencing token = leaseTransitions + 1 (it only ever grows; the
// protocol's tokens start at 1 while client-go counts transitions from 0).
import { type CoordinationV1Api, type V1Lease, V1MicroTime } from "@kubernetes/client-node"
import type { LeaseBackend, LeaseGrant } from "@streamspace/agent-runtime"
import { fromKube } from "../errors.ts"
import { type LeaseRecord, LeaseObserver } from "./lease-observer.ts"

export interface KubernetesLeaseBackendOptions {
  api: CoordinationV1Api
  namespace: string
  name: string
  /** Monotonic milliseconds (performance.now-like); injected by tests. */
  now?: () => number
  /** Wall clock for the Lease's renewTime/acquireTime fields (what kubectl shows). */
  wallClock?: () => Date
}

const tokenOf = (leaseTransitions: number): number => leaseTransitions + 1
const seconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000))

export class KubernetesLeaseBackend implements LeaseBackend {
  readonly kind = "kubernetes"
  private readonly observer = new LeaseObserver()
  /** The Lease as last read or written: renewals write over it without reading first. */
  private last: V1Lease | null = null
  private readonly now: () => number
  private readonly wall: () => Date

  constructor(private readonly options: KubernetesLeaseBackendOptions) {
    this.now = options.now ?? (() => performance.now())
    this.wall = options.wallClock ?? (() => new Date())
  }

  async tryAcquire(holder: string, leaseMs: number): Promise<LeaseGrant | null> {
    const lease = await this.read()
    if (!lease) return this.create(holder, leaseMs)
    const verdict = this.observer.judge(holder, this.now())
    if (verdict === "held") return null
    const transitions = (lease.spec?.leaseTransitions ?? 0) + 1
    const at = new V1MicroTime(this.wall().getTime())
    const written = await this.write({
      ...lease,
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: seconds(leaseMs),
        leaseTransitions: transitions,
        acquireTime: at,
        renewTime: at,
      },
    })
    return written ? { fencingToken: tokenOf(transitions) } : null
  }

  async renew(holder: string, grant: LeaseGrant, leaseMs: number): Promise<boolean> {
    const lease = this.last ?? (await this.read())
    if (!lease || !this.holds(lease, holder, grant)) return false
    const spec = { ...lease.spec, leaseDurationSeconds: seconds(leaseMs), renewTime: new V1MicroTime(this.wall().getTime()) }
    if (await this.write({ ...lease, spec })) return true
    // Someone wrote in between (our cached copy was stale): still ours after a fresh read?
    const fresh = await this.read()
    if (!fresh || !this.holds(fresh, holder, grant)) return false
    return this.write({ ...fresh, spec: { ...fresh.spec, renewTime: new V1MicroTime(this.wall().getTime()) } })
  }

  /** Client-go's release: empty holder, so followers take the lease at once instead of waiting out its duration. */
  async release(holder: string, grant: LeaseGrant): Promise<void> {
    const lease = (await this.read()) ?? null
    if (!lease || !this.holds(lease, holder, grant)) return
    const now = new V1MicroTime(this.wall().getTime())
    await this.write({ ...lease, spec: { ...lease.spec, holderIdentity: "", leaseDurationSeconds: 1, renewTime: now } })
  }

  private holds(lease: V1Lease, holder: string, grant: LeaseGrant): boolean {
    return lease.spec?.holderIdentity === holder && tokenOf(lease.spec?.leaseTransitions ?? 0) === grant.fencingToken
  }

  private async read(): Promise<V1Lease | null> {
    const { api, namespace, name } = this.options
    try {
      const lease = await api.readNamespacedLease({ name, namespace })
      this.remember(lease)
      return lease
    } catch (err) {
      const mapped = fromKube(err, `reading the Lease ${namespace}/${name}`)
      if (mapped.code === "SESSION_NOT_FOUND") return null
      throw mapped
    }
  }

  private async create(holder: string, leaseMs: number): Promise<LeaseGrant | null> {
    const { api, namespace, name } = this.options
    const at = new V1MicroTime(this.wall().getTime())
    const body: V1Lease = {
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { name, namespace },
      spec: {
        holderIdentity: holder,
        leaseDurationSeconds: seconds(leaseMs),
        leaseTransitions: 0,
        acquireTime: at,
        renewTime: at,
      },
    }
    try {
      this.remember(await api.createNamespacedLease({ namespace, body }))
      return { fencingToken: tokenOf(0) }
    } catch (err) {
      const mapped = fromKube(err, `creating the Lease ${namespace}/${name}`)
      if (mapped.code === "KUBE_CONFLICT") return null
      throw mapped
    }
  }

  /** Replace guarded by resourceVersion: false when another replica wrote first. */
  private async write(lease: V1Lease): Promise<boolean> {
    const { api, namespace, name } = this.options
    try {
      this.remember(await api.replaceNamespacedLease({ name, namespace, body: lease }))
      return true
    } catch (err) {
      const mapped = fromKube(err, `writing the Lease ${namespace}/${name}`)
      if (mapped.code === "KUBE_CONFLICT") {
        this.last = null
        return false
      }
      throw mapped
    }
  }

  private remember(lease: V1Lease): void {
    this.last = lease
    this.observer.observe(recordOf(lease), this.now())
  }
}

/** renewTime comes back as a string (client-node does not revive MicroTime); it is only compared for change. */
export function recordOf(lease: V1Lease): LeaseRecord {
  const spec = lease.spec ?? {}
  return {
    holderIdentity: spec.holderIdentity ?? "",
    leaseDurationSeconds: spec.leaseDurationSeconds ?? 15,
    leaseTransitions: spec.leaseTransitions ?? 0,
    renewTime: spec.renewTime === undefined ? "" : String(spec.renewTime),
  }
}
