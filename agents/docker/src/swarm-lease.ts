// Leader lease in a Docker Swarm's Raft store: the labels of a service with no replicas, written by compare-and-swap
// on the service's version, so replicas of the agent on any node of the swarm share one lease through its managers.
//
// Expiry is judged as client-go judges a Kubernetes Lease: a follower notes when it first saw the current record
// (holder, token, renewal) on its own monotonic clock, and the lease is free once that record has not changed for
// leaseMs — no clock needs to agree with another host's. Terms are a label raised by one on every take-over (and to
// the clock in ms, so a swarm that was created anew still grants terms above the old ones); the version check makes
// each take-over atomic.
import { createHash } from "node:crypto"
import { type Clock, type LeaseBackend, type LeaseGrant, systemClock } from "@streamspace/agent-runtime"
import type Docker from "dockerode"

const HOLDER = "streamspace.lease.holder"
const TOKEN = "streamspace.lease.token"
const RENEWAL = "streamspace.lease.renewal"

interface Read {
  version: number
  spec: Docker.ServiceSpec
  holder: string
  token: number
  renewal: string
}

/** A Swarm service name (≤ 63 of [a-zA-Z0-9-]) for a lease name: readable when it fits, hashed when not. */
export function leaseServiceName(name: string): string {
  const readable = `streamspace-leader-${name.replace(/[^a-zA-Z0-9-]/g, "-")}`
  if (readable.length <= 63) return readable
  return `streamspace-leader-${createHash("sha256").update(name).digest("hex").slice(0, 40)}`
}

export class SwarmLease implements LeaseBackend {
  readonly kind = "swarm"
  private readonly service: string
  private observed: { record: string; at: number } | null = null

  constructor(
    /** A manager of the swarm. */
    private readonly docker: Docker,
    name: string,
    private readonly clock: Clock = systemClock,
  ) {
    this.service = leaseServiceName(name)
  }

  async tryAcquire(holder: string, leaseMs: number): Promise<LeaseGrant | null> {
    const current = await this.read()
    const free = this.freeFor(current, leaseMs)
    if (current.holder && current.holder !== holder && !free) return null
    const token = Math.max(current.token + 1, Date.now())
    if (!(await this.write(current, { [HOLDER]: holder, [TOKEN]: String(token), [RENEWAL]: crypto.randomUUID() }))) return null
    return { fencingToken: token }
  }

  async renew(holder: string, grant: LeaseGrant, _leaseMs: number): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const current = await this.read()
      if (current.holder !== holder || current.token !== grant.fencingToken) return false
      if (await this.write(current, { [RENEWAL]: crypto.randomUUID() })) return true
      // Someone wrote in between: read again, it may have been a take-over.
    }
    return false
  }

  async release(holder: string, grant: LeaseGrant): Promise<void> {
    const current = await this.read()
    if (current.holder === holder && current.token === grant.fencingToken) await this.write(current, { [HOLDER]: "" })
  }

  /** Whether the record has stood unchanged for leaseMs since this process first saw it. */
  private freeFor(current: Read, leaseMs: number): boolean {
    const record = `${current.holder}|${current.token}|${current.renewal}`
    const now = this.clock.now()
    if (this.observed?.record !== record) this.observed = { record, at: now }
    return current.holder === "" || now - this.observed.at >= leaseMs
  }

  private async read(): Promise<Read> {
    const info = await this.inspect()
    const labels: Record<string, string> = info.Spec.Labels ?? {}
    return {
      version: info.Version.Index,
      spec: info.Spec,
      holder: labels[HOLDER] ?? "",
      token: Number(labels[TOKEN] ?? 0) || 0,
      renewal: labels[RENEWAL] ?? "",
    }
  }

  private async inspect(): Promise<{ Version: { Index: number }; Spec: Docker.ServiceSpec }> {
    try {
      return await this.docker.getService(this.service).inspect()
    } catch (e) {
      if ((e as { statusCode?: number }).statusCode !== 404) throw e
    }
    // No replicas: the image is never pulled or run; the service only carries the labels.
    await this.docker
      .createService({
        Name: this.service,
        Labels: { "streamspace.lease": "agent-leader" },
        TaskTemplate: { ContainerSpec: { Image: "streamspace/leader-lease:none" } },
        Mode: { Replicated: { Replicas: 0 } },
      })
      .catch((e: { statusCode?: number }) => {
        if (e.statusCode !== 409) throw e // another replica created it first
      })
    return this.docker.getService(this.service).inspect()
  }

  /** Compare-and-swap on the service's version: false when another write came first. */
  private async write(current: Read, labels: Record<string, string>): Promise<boolean> {
    try {
      await this.docker.getService(this.service).update({
        version: current.version,
        ...current.spec,
        Labels: { ...current.spec.Labels, ...labels },
      })
      return true
    } catch (e) {
      if (/update out of sequence/.test((e as Error).message)) return false
      throw e
    }
  }
}
