// The leader-election seam: several replicas of one agent, one leader at a time, each leadership term numbered by a fencing token.
//
// A backend (file lock, Redis, Kubernetes Lease) implements `LeaseBackend` — one attempt per call, no loops, no timers.
// `LeaseElector` (lease-elector.ts) runs the acquire/renew loop over any backend and is the `LeaderElector` the runtime uses.

/** Time as the elector sees it; tests inject a manual clock (test-clock.ts). */
export interface Clock {
  /** Milliseconds on a clock that never goes back (performance.now-like; not wall time). */
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/**
 * How long a lease lasts, how often the leader renews it and how often a follower tries to take it.
 * renewMs < leaseMs: a leader that misses renewals for leaseMs stops acting before anyone else may take over.
 */
export interface LeaseTimings {
  leaseMs: number
  renewMs: number
  retryMs: number
}

/** Far below the original's 15 s / 10 s / 2 s; a leader must miss two renewals in a row before it loses the lease. */
export const DEFAULT_LEASE_TIMINGS: LeaseTimings = { leaseMs: 3_000, renewMs: 1_000, retryMs: 500 }

/** A leadership term as the backend granted it. */
export interface LeaseGrant {
  /**
   * Strictly greater than every token granted before on this lease (across all holders): whoever checks writes keeps
   * the highest token seen and refuses lower ones.
   */
  fencingToken: number
}

/** One lease store. Every method is a single attempt; errors (store unreachable) throw and the elector retries. */
export interface LeaseBackend {
  /** For logs: "file", "redis", "kubernetes". */
  readonly kind: string
  /** Takes the lease for `holder` if it is free or expired; null while another holder's lease is live. */
  tryAcquire(holder: string, leaseMs: number): Promise<LeaseGrant | null>
  /** Extends `holder`'s lease; false when it is no longer `holder`'s with this token (expired and taken, or released). */
  renew(holder: string, grant: LeaseGrant, leaseMs: number): Promise<boolean>
  /** Gives the lease up at once so a follower need not wait for it to expire; a lease not held any more is left alone. */
  release(holder: string, grant: LeaseGrant): Promise<void>
  /** Closes connections/handles the backend holds. */
  close?(): Promise<void>
}

export type DeposedReason =
  /** The backend said the lease is someone else's now. */
  | "lost"
  /** No renewal succeeded within leaseMs (store unreachable, or this process was paused): another may lead by now. */
  | "expired"
  /** stop() was called. */
  | "stopped"
  /** resign() was called: this replica gave the lease up for another to take. */
  | "resigned"

export interface LeaderElector {
  /** Who this replica is to the backend (and in logs). */
  readonly holder: string
  /**
   * Whether this replica may act now. Judged on every call against the local lease deadline, so a process that was
   * paused past its lease answers false at once, before any timer had a chance to run.
   */
  readonly isLeader: boolean
  /** The current term's fencing token while leading; null otherwise. */
  readonly fencingToken: number | null
  /** Starts trying to acquire (and then renewing). */
  start(): void
  /** Stops the loop, releases the lease if held (so a follower takes over at once) and closes the backend. */
  stop(): Promise<void>
  /**
   * Gives the lease up (if held) and makes no attempt to take it for `holdOffMs`, so another replica can lead —
   * e.g. when this one cannot reach any control plane. The loop goes on afterwards.
   */
  resign(holdOffMs: number): Promise<void>
  /** Called when this replica becomes leader; returns an unsubscribe function. */
  onElected(listener: (fencingToken: number) => void): () => void
  /** Called when this replica stops leading, whatever the reason; returns an unsubscribe function. */
  onDeposed(listener: (reason: DeposedReason) => void): () => void
}
