// Client-go's rule for judging someone else's Lease: it has expired when its record has not
// changed for leaseDuration, as measured on OUR clock from when we first saw that record. The
// holder's renewTime is never compared with our wall clock, so skewed clocks cannot steal a lease.
// Pure: time comes in as a number from an injected monotonic clock.

/** The parts of a Lease's spec that decide who holds it. */
export interface LeaseRecord {
  holderIdentity: string
  leaseDurationSeconds: number
  leaseTransitions: number
  /** As the server returned it (a string): compared only for change, never as a time. */
  renewTime: string
}

export const sameRecord = (a: LeaseRecord, b: LeaseRecord): boolean =>
  a.holderIdentity === b.holderIdentity &&
  a.leaseTransitions === b.leaseTransitions &&
  a.renewTime === b.renewTime &&
  a.leaseDurationSeconds === b.leaseDurationSeconds

export type AcquireVerdict =
  /** Nobody holds it (released, or never held): take it now. */
  | "free"
  /** Its holder stopped renewing for longer than its duration, by our clock: take it. */
  | "expired"
  /** Someone holds it and renewed it recently enough. */
  | "held"
  /** The record names us: an earlier process with our identity; take it as a new term. */
  | "ours"

export class LeaseObserver {
  private record: LeaseRecord | null = null
  private seenAt = 0

  /** Remembers the record and, if it changed, the local time we first saw it. */
  observe(record: LeaseRecord, now: number): void {
    if (this.record && sameRecord(this.record, record)) return
    this.record = { ...record }
    this.seenAt = now
  }

  /** What a candidate named `holder` may do with the record it just observed. */
  judge(holder: string, now: number): AcquireVerdict {
    const r = this.record
    if (!r || r.holderIdentity === "") return "free"
    if (r.holderIdentity === holder) return "ours"
    return now >= this.seenAt + r.leaseDurationSeconds * 1000 ? "expired" : "held"
  }

  /** For tests and logs: when the current record was first seen. */
  get observedAt(): number {
    return this.seenAt
  }
}
