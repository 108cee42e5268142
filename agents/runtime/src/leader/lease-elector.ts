// Runs the acquire/renew loop over a LeaseBackend: the LeaderElector every agent backend shares.
import type { Logger } from "pino"
import { systemClock } from "./clock.ts"
import {
  type Clock,
  DEFAULT_LEASE_TIMINGS,
  type DeposedReason,
  type LeaderElector,
  type LeaseBackend,
  type LeaseGrant,
  type LeaseTimings,
} from "./leader-elector.ts"

export interface LeaseElectorOptions {
  backend: LeaseBackend
  /** Unique per process: two processes with one holder id would both think they lead. */
  holder: string
  log: Logger
  timings?: Partial<LeaseTimings>
  clock?: Clock
}

/** Checks timings once, where they are configured, with a sentence that says what to change. */
export function checkTimings(t: LeaseTimings): string | null {
  for (const [name, v] of Object.entries(t))
    if (!Number.isInteger(v) || v < 10) return `${name} must be a whole number of milliseconds ≥ 10 (got ${v}).`
  if (t.renewMs >= t.leaseMs) return `renewMs (${t.renewMs}) must be below leaseMs (${t.leaseMs}).`
  if (t.retryMs > t.leaseMs) return `retryMs (${t.retryMs}) must not exceed leaseMs (${t.leaseMs}).`
  return null
}

export class LeaseElector implements LeaderElector {
  readonly holder: string
  private readonly backend: LeaseBackend
  private readonly timings: LeaseTimings
  private readonly clock: Clock
  private readonly log: Logger
  private grant: LeaseGrant | null = null
  /** Local time until which the lease is surely ours: measured from when the last successful call was SENT. */
  private deadline = 0
  private timer: unknown = null
  private expiry: unknown = null
  private running = false
  /** After resign(): no lease is taken before this (local) time. */
  private holdUntil = 0
  private readonly elected = new Set<(token: number) => void>()
  private readonly deposed = new Set<(reason: DeposedReason) => void>()

  constructor(options: LeaseElectorOptions) {
    this.backend = options.backend
    this.holder = options.holder
    this.timings = { ...DEFAULT_LEASE_TIMINGS, ...options.timings }
    const bad = checkTimings(this.timings)
    if (bad) throw new Error(`Leader election: ${bad}`)
    this.clock = options.clock ?? systemClock
    this.log = options.log.child({ elector: this.backend.kind, holder: this.holder })
  }

  get isLeader(): boolean {
    if (!this.grant) return false
    if (this.clock.now() < this.deadline) return true
    // Paused past the lease (or renewals kept failing): stop acting now; the expiry timer may not have run yet.
    queueMicrotask(() => this.expireIfDue())
    return false
  }

  get fencingToken(): number | null {
    return this.isLeader ? (this.grant?.fencingToken ?? null) : null
  }

  start(): void {
    if (this.running) return
    this.running = true
    this.schedule(0, () => this.acquire())
  }

  async stop(): Promise<void> {
    if (!this.running) return
    this.running = false
    this.cancel()
    const grant = this.grant
    if (grant) {
      this.stepDown("stopped")
      await this.backend.release(this.holder, grant).catch((err) => this.log.warn({ err }, "could not release the lease"))
    }
    await this.backend.close?.().catch(() => {})
  }

  async resign(holdOffMs: number): Promise<void> {
    if (!this.running) return
    const grant = this.grant
    this.holdUntil = this.clock.now() + holdOffMs
    this.schedule(holdOffMs, () => this.acquire())
    if (!grant) return
    this.stepDown("resigned")
    await this.backend.release(this.holder, grant).catch((err) => this.log.warn({ err }, "could not release the lease"))
  }

  onElected(listener: (fencingToken: number) => void): () => void {
    this.elected.add(listener)
    return () => this.elected.delete(listener)
  }

  onDeposed(listener: (reason: DeposedReason) => void): () => void {
    this.deposed.add(listener)
    return () => this.deposed.delete(listener)
  }

  private async acquire(): Promise<void> {
    const sent = this.clock.now()
    let grant: LeaseGrant | null = null
    try {
      grant = await this.backend.tryAcquire(this.holder, this.timings.leaseMs)
    } catch (err) {
      this.log.warn({ err }, "could not reach the lease store; retrying")
    }
    // Stopped, or resigned while this attempt was under way: a lease won now is given straight back.
    if (grant && (!this.running || this.clock.now() < this.holdUntil)) {
      await this.backend.release(this.holder, grant).catch(() => {})
      grant = null
    }
    if (!this.running) return
    if (this.clock.now() < this.holdUntil) return
    // A grant that arrives after its own lease ran out is worth nothing: let it expire.
    if (grant && this.clock.now() < sent + this.timings.leaseMs) {
      const { fencingToken } = grant
      this.grant = grant
      this.deadline = sent + this.timings.leaseMs
      this.armExpiry()
      this.log.info({ fencingToken }, "elected leader")
      for (const listener of this.elected) this.call(() => listener(fencingToken))
      this.schedule(this.timings.renewMs, () => this.renew())
      return
    }
    this.schedule(this.timings.retryMs, () => this.acquire())
  }

  private async renew(): Promise<void> {
    const grant = this.grant
    if (!grant || !this.running) return
    if (!this.isLeader) return this.expireIfDue()
    const sent = this.clock.now()
    let held: boolean | null = null
    try {
      held = await this.backend.renew(this.holder, grant, this.timings.leaseMs)
    } catch (err) {
      this.log.warn({ err }, "could not renew the lease; retrying until it expires")
    }
    if (!this.running || this.grant !== grant) return
    if (held === false) {
      this.stepDown("lost")
      return this.schedule(this.timings.retryMs, () => this.acquire())
    }
    if (held === true && this.clock.now() < this.deadline) {
      this.deadline = sent + this.timings.leaseMs
      this.armExpiry()
      return this.schedule(this.timings.renewMs, () => this.renew())
    }
    if (!this.isLeader) return this.expireIfDue()
    this.schedule(this.timings.retryMs, () => this.renew())
  }

  private expireIfDue(): void {
    if (!this.grant || this.clock.now() < this.deadline) return
    this.stepDown("expired")
    if (this.running) this.schedule(this.timings.retryMs, () => this.acquire())
  }

  private stepDown(reason: DeposedReason): void {
    const token = this.grant?.fencingToken
    this.grant = null
    if (this.expiry !== null) this.clock.clearTimeout(this.expiry)
    this.expiry = null
    const log = reason === "stopped" || reason === "resigned" ? this.log.info.bind(this.log) : this.log.warn.bind(this.log)
    log({ reason, fencingToken: token }, "no longer leader")
    for (const listener of this.deposed) this.call(() => listener(reason))
  }

  private armExpiry(): void {
    if (this.expiry !== null) this.clock.clearTimeout(this.expiry)
    this.expiry = this.clock.setTimeout(
      () => {
        this.expiry = null
        this.expireIfDue()
      },
      Math.max(0, this.deadline - this.clock.now()),
    )
  }

  private schedule(ms: number, step: () => Promise<void> | void): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = this.clock.setTimeout(() => {
      this.timer = null
      if (this.running) void step()
    }, ms)
  }

  private cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer)
    this.timer = null
  }

  private call(fn: () => void): void {
    try {
      fn()
    } catch (err) {
      this.log.error({ err }, "a leadership listener threw")
    }
  }
}
