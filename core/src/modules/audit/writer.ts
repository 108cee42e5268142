// Writes audit rows off the request path, many per statement: a burst of calls costs one insert, not one each.
import type { Sql } from "../../infra/db/connect.ts"
import type { Logger } from "../../infra/log.ts"
import { type AuditRow, insertAuditRows } from "./repo.ts"

const BATCH = 500
/** Beyond this many waiting rows, new ones are dropped and logged: memory must not grow while the database is away. */
const MAX_QUEUED = 100_000
/** The audited action a route declares (`audit: "session.create"`); it shows in the OpenAPI document too. */
export const ACTION_KEY = "x-audit-action"

interface RouteInfo {
  method: string
  path: string
  hooks: { detail?: unknown }
}

/** A target id comes from the URL as sent: cut it short and drop the NUL that PostgreSQL refuses in text. */
const storable = (text: string) => text.replaceAll("\u0000", "").slice(0, 200)

export class AuditWriter {
  private readonly queue: (AuditRow & { at: string })[] = []
  private readonly lookups = new Set<Promise<unknown>>()
  /** method → route → action: looked up after every mutating call, without building a key. */
  private readonly actions = new Map<string, Map<string, string>>()
  private draining: Promise<void> | null = null
  private dropped = 0

  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
  ) {}

  /**
   * Learns each route's action from the app's route table. A call can fail before any route hook
   * runs (a body that does not parse, a refused caller); its row must still name the action.
   */
  learnActions(routes: readonly RouteInfo[]) {
    for (const r of routes) {
      const action = (r.hooks.detail as Record<string, unknown> | undefined)?.[ACTION_KEY]
      if (typeof action !== "string") continue
      const routes = this.actions.get(r.method) ?? new Map<string, string>()
      routes.set(r.path, action)
      this.actions.set(r.method, routes)
    }
  }

  actionOf(method: string, route: string): string | undefined {
    return this.actions.get(method)?.get(route)
  }

  /** Takes the row, or a promise of it when the caller still has to look something up. */
  write(row: AuditRow | Promise<AuditRow>) {
    if (!(row instanceof Promise)) return this.enqueue(row)
    const p = row.then(
      (r) => this.enqueue(r),
      (error) => this.log.error({ err: error }, "could not build an audit row"),
    )
    this.lookups.add(p)
    p.finally(() => this.lookups.delete(p))
  }

  /** Resolves once every row written so far is in the database (or its failure logged). */
  async settled() {
    do {
      // Elysia runs afterResponse in a later macrotask than the response: let it hand its rows over first.
      await new Promise((resolve) => setImmediate(resolve))
      await Promise.all([...this.lookups])
      await this.draining
    } while (this.lookups.size > 0 || this.draining !== null)
  }

  private enqueue(row: AuditRow) {
    if (this.queue.length >= MAX_QUEUED) {
      if (this.dropped++ % 10_000 === 0) this.log.error({ dropped: this.dropped }, "audit queue full: dropping audit rows")
      return
    }
    this.queue.push({ ...row, targetId: row.targetId && storable(row.targetId), at: new Date().toISOString() })
    this.draining ??= this.drain()
  }

  private async drain() {
    // One turn of the event loop lets the current burst of responses queue its rows together.
    await new Promise((resolve) => setImmediate(resolve))
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, BATCH)
      try {
        await insertAuditRows(this.sql, batch)
      } catch {
        // One row the database refuses must not take its neighbours with it: write them one by one.
        for (const row of batch)
          await insertAuditRows(this.sql, [row]).catch((error) =>
            this.log.error({ err: error, row }, "could not write an audit row"),
          )
      }
    }
    this.draining = null
  }
}
