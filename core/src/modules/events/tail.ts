// Follows the outbox on this replica and hands each committed event to the open event streams.
import type { StreamSpaceEvent } from "@streamspace/schemas"
import type { Database } from "../../infra/db/connect.ts"
import type { Logger } from "../../infra/log.ts"
import { onOutboxAppend } from "./outbox.ts"
import * as repo from "./repo.ts"

type Listener = (event: StreamSpaceEvent) => void

/**
 * Ids are handed out at insert but rows appear at commit, so a lower id can show up after a higher
 * one. The tail keeps a watermark (everything at or below it was handled) and the ids it has seen
 * above it; a hole that stays open this long was a rolled-back insert and is skipped.
 */
const HOLE_TIMEOUT_MS = 10_000
const BATCH = 500

export class OutboxTail {
  private readonly listeners = new Set<Listener>()
  private watermark = 0
  private readonly seen = new Set<number>()
  private holeSince: number | null = null
  private reading: Promise<void> | undefined
  private again = false
  private timer: Timer | undefined
  private stopHooks: (() => void)[] = []
  private starting: Promise<void> | undefined

  constructor(
    private readonly db: Database,
    private readonly log: Logger,
    /** Safety poll while someone listens (PG NOTIFY or an in-process append normally wakes it first). */
    private readonly pollMs = 2000,
  ) {}

  /** Adds a listener; the tail runs only while it has listeners. Resolves once it follows the outbox. */
  async subscribe(listener: Listener): Promise<() => void> {
    this.listeners.add(listener)
    if (this.listeners.size === 1) this.starting = this.start()
    await this.starting
    return () => {
      this.listeners.delete(listener)
      if (this.listeners.size === 0) this.stop()
    }
  }

  private async start(): Promise<void> {
    this.watermark = Number(await repo.lastEventId(this.db.sql))
    this.seen.clear()
    this.holeSince = null
    this.stopHooks.push(onOutboxAppend(() => this.wake()))
    if (this.db.kind === "postgres") {
      const listening = await this.db.sql.listen("streamspace_outbox", () => this.wake())
      this.stopHooks.push(() => void listening.unlisten().catch(() => {}))
    }
    this.schedule()
  }

  private stop(): void {
    clearTimeout(this.timer)
    for (const off of this.stopHooks.splice(0)) off()
  }

  private schedule(): void {
    clearTimeout(this.timer)
    if (this.listeners.size > 0) this.timer = setTimeout(() => this.wake(), this.pollMs)
  }

  wake(): void {
    if (this.listeners.size === 0) return
    if (this.reading) {
      this.again = true
      return
    }
    this.reading = this.read()
      .catch((err: unknown) => this.log.error({ err }, "could not read new events for the event streams"))
      .finally(() => {
        this.reading = undefined
        if (this.again) {
          this.again = false
          this.wake()
        } else this.schedule()
      })
  }

  private async read(): Promise<void> {
    const rows = await repo.eventsAfter(this.db.sql, String(this.watermark), BATCH)
    for (const row of rows) {
      const id = Number(row.id)
      if (this.seen.has(id)) continue
      this.seen.add(id)
      const event = repo.toEvent(row)
      for (const listener of this.listeners) listener(event)
    }
    this.advance()
    if (rows.length === BATCH) this.again = true
  }

  private advance(): void {
    while (this.seen.delete(this.watermark + 1)) this.watermark++
    if (this.seen.size === 0) {
      this.holeSince = null
      return
    }
    const now = Date.now()
    this.holeSince ??= now
    if (now - this.holeSince < HOLE_TIMEOUT_MS) return
    // The lowest missing id never committed: move past it to the next seen one.
    this.watermark = Math.min(...this.seen) - 1
    this.holeSince = null
    this.advance()
  }
}
