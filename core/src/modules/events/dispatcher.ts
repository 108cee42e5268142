// Delivers outbox events to subscribed plugins at least once: fan-out, retries with backoff, dead letters.
import { eventMatches } from "@streamspace/plugin-runtime/host"
import type { Database } from "../../infra/db/connect.ts"
import type { Logger } from "../../infra/log.ts"
import { createLeadership, type Leadership } from "./leader.ts"
import { onOutboxAppend } from "./outbox.ts"
import type { EventConsumers, EventSubscriber } from "./ports.ts"
import * as repo from "./repo.ts"

export interface DispatcherOptions {
  /** Attempts per (event, install) before the delivery is dead (default 8). */
  maxAttempts?: number
  /** Retry delay: initialMs × 2^(attempt − 1), at most maxMs, ±20 % jitter (default 1 s … 5 min). */
  backoff?: { initialMs: number; maxMs: number }
  /** Safety poll when no wake-up arrives (default 5 s); also how often a follower asks for the lock. */
  pollMs?: number
  /** Delivered events older than this are removed, hourly (default 7 days); dead letters stay. */
  retentionDays?: number
}

const PRUNE_EVERY_MS = 3_600_000

const BATCH = 100

export class EventDispatcher {
  private readonly leadership: Leadership
  private readonly maxAttempts: number
  private readonly backoff: { initialMs: number; maxMs: number }
  private readonly pollMs: number
  private readonly log: Logger
  private timer: Timer | undefined
  private running: Promise<void> | undefined
  private again = false
  private stopped = true
  private unsubscribe: (() => void)[] = []
  private readonly retentionDays: number
  private prunedAt = 0

  constructor(
    private readonly db: Database,
    private readonly consumers: EventConsumers,
    log: Logger,
    options: DispatcherOptions = {},
  ) {
    this.leadership = createLeadership(db)
    this.maxAttempts = options.maxAttempts ?? 8
    this.backoff = options.backoff ?? { initialMs: 1000, maxMs: 300_000 }
    this.pollMs = options.pollMs ?? 5000
    this.retentionDays = options.retentionDays ?? 7
    this.log = log.child({ module: "events" })
  }

  async start(): Promise<void> {
    if (!this.stopped) return
    this.stopped = false
    this.unsubscribe.push(onOutboxAppend(() => this.wake()))
    if (this.db.kind === "postgres") {
      // NOTIFY reaches every replica at commit: the leader dispatches at once, wherever the event was written.
      const listening = await this.db.sql.listen("streamspace_outbox", () => this.wake())
      this.unsubscribe.push(() => void listening.unlisten().catch(() => {}))
    }
    this.wake()
  }

  async stop(): Promise<void> {
    this.stopped = true
    clearTimeout(this.timer)
    for (const off of this.unsubscribe.splice(0)) off()
    await this.running
    await this.leadership.release()
  }

  /** Whether this replica is the cluster's dispatcher (also the one that runs plugin ticks). */
  isLeader(): Promise<boolean> {
    return this.stopped ? Promise.resolve(false) : this.leadership.check()
  }

  /** Runs a pass now (or right after the current one). */
  wake(): void {
    if (this.stopped) return
    if (this.running) {
      this.again = true
      return
    }
    clearTimeout(this.timer)
    this.running = this.pass()
      .catch((err: unknown) => this.log.error({ err }, "event dispatch failed; retrying at the next poll"))
      .then(async (nextInMs) => {
        this.running = undefined
        if (this.stopped) return
        if (this.again) {
          this.again = false
          this.wake()
          return
        }
        this.timer = setTimeout(() => this.wake(), Math.min(this.pollMs, Math.max(10, nextInMs ?? this.pollMs)))
      })
  }

  /** Resolves when a pass finds nothing left to do now (tests and shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running
  }

  /** One pass: fan out new events, deliver what is due. Answers how long until the next delivery is due. */
  private async pass(): Promise<number | undefined> {
    if (!(await this.leadership.check())) return undefined
    if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) await this.prune()
    while ((await this.fanOut()) === BATCH && !this.stopped) {}
    while (!this.stopped) {
      const due = await repo.dueDeliveries(this.db.sql, BATCH)
      if (due.length === 0) break
      await this.deliverAll(due)
      if (due.length < BATCH) break
    }
    const next = await repo.nextDueAt(this.db.sql)
    return next === null ? undefined : Date.parse(next) - Date.now()
  }

  /** Removes old delivered events (the leader does it hourly); answers how many. */
  async prune(): Promise<number> {
    this.prunedAt = Date.now()
    const removed = await repo.pruneDelivered(this.db.sql, this.retentionDays)
    if (removed > 0) this.log.info({ removed, retentionDays: this.retentionDays }, "removed delivered events")
    return removed
  }

  /** Writes one delivery row per subscribed install and marks the events dispatched, in one transaction. */
  private async fanOut(): Promise<number> {
    // Read before the transaction: on PGlite the transaction holds the only connection.
    const subscribers: EventSubscriber[] = await this.consumers.subscribers()
    return this.db.sql.begin(async (tx) => {
      const rows = await repo.undispatched(tx, BATCH)
      if (rows.length === 0) return 0
      const deliveries = rows.flatMap((row) =>
        subscribers
          .filter((s) => s.events.some((pattern) => eventMatches(pattern, row.type)))
          .map((s) => ({ eventId: row.id, installId: s.installId })),
      )
      await repo.fanOut(
        tx,
        rows.map((r) => r.id),
        deliveries,
      )
      return rows.length
    })
  }

  /** Each install gets its events one at a time, in order; installs run side by side. */
  private async deliverAll(due: repo.DueDelivery[]): Promise<void> {
    const byInstall = Map.groupBy(due, (d) => d.installId)
    await Promise.all(
      [...byInstall.values()].map(async (list) => {
        for (const d of list) await this.deliverOne(d)
      }),
    )
  }

  private async deliverOne(d: repo.DueDelivery): Promise<void> {
    const outcome = await this.consumers.deliver(d.installId, repo.toEvent(d)).catch((err: unknown) => ({
      ok: false as const,
      code: "DELIVERY_FAILED",
      message: err instanceof Error ? err.message : String(err),
    }))
    if (outcome.ok) {
      await repo.markDelivered(this.db.sql, d.id, d.installId)
      return
    }
    const attempt = d.attempts + 1
    const error = { code: outcome.code, message: outcome.message.slice(0, 2000) }
    const retryInMs = attempt >= this.maxAttempts ? null : this.delayAfter(attempt)
    await repo.markFailed(this.db.sql, d.id, d.installId, error, retryInMs)
    this.log.warn(
      { eventId: d.id, type: d.type, installId: d.installId, attempt, code: error.code, retryInMs },
      retryInMs === null ? "event delivery failed for the last time; it is now a dead letter" : "event delivery failed",
    )
  }

  private delayAfter(attempt: number): number {
    const base = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** (attempt - 1))
    return Math.round(base * (0.8 + Math.random() * 0.4))
  }
}
