// Per-request id and audit record; every mutating call leaves an audit row, whatever its outcome.
import { type DocumentDecoration, Elysia } from "elysia"
import type { Logger } from "../infra/log.ts"
import type { Sql } from "../infra/db/connect.ts"
import { type AuditRow, insertAudit } from "../modules/audit/repo.ts"
import type { Principal } from "../modules/identity/principal.ts"

export interface AuditNote {
  action: string | null
  targetType: string | null
  targetId: string | null
  detail: Record<string, unknown>
}

const MUTATING = new Set(["POST", "PUT", "PATCH", "DELETE"])
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/

/** Client-sent ids are kept when they look sane, so logs can be joined across systems. */
const requestIdOf = (header: string | undefined) => (header && REQUEST_ID.test(header) ? header : crypto.randomUUID())

/** The audited action a route declares; it shows in the OpenAPI document too. */
const ACTION_KEY = "x-audit-action"

interface RouteInfo {
  method: string
  path: string
  hooks: { detail?: unknown }
}

/** Audit writes happen after the response; tests and shutdown wait on the ones still in flight. */
export class AuditWriter {
  private readonly pending = new Set<Promise<unknown>>()
  private readonly actions = new Map<string, string>()
  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
  ) {}
  /**
   * Learns each route's action from the app's route table. A call can fail before any route hook
   * runs (a body that does not parse, a refused caller); the row must still name the action.
   */
  learnActions(routes: readonly RouteInfo[]) {
    for (const r of routes) {
      const action = (r.hooks.detail as Record<string, unknown> | undefined)?.[ACTION_KEY]
      if (typeof action === "string") this.actions.set(`${r.method} ${r.path}`, action)
    }
  }
  actionOf(method: string, route: string): string | undefined {
    return this.actions.get(`${method} ${route}`)
  }
  /** Takes the row, or a promise of it when the caller still has to look something up. */
  write(row: AuditRow | Promise<AuditRow>) {
    const p = Promise.resolve(row)
      .then((r) => insertAudit(this.sql, r))
      .catch((error) => this.log.error({ err: error }, "could not write an audit row"))
    this.pending.add(p)
    p.finally(() => this.pending.delete(p))
  }
  async settled() {
    // Elysia runs afterResponse in a later macrotask than the response: let it queue its rows first.
    do {
      await new Promise((resolve) => setImmediate(resolve))
      await Promise.all([...this.pending])
    } while (this.pending.size > 0)
  }
}

/** Who sent a request that failed before its principal was derived (e.g. a body that does not parse). */
export type LateIdentify = (authorization: string | null) => Promise<Principal | null>

export const requestContext = (writer: AuditWriter, identify: LateIdentify) =>
  new Elysia({ name: "request-context" })
    // Set before the body is parsed, so that even a malformed request answers with its id.
    .onRequest(({ request, set }) => {
      set.headers["x-request-id"] = requestIdOf(request.headers.get("x-request-id") ?? undefined)
    })
    .derive({ as: "global" }, ({ set }) => ({
      requestId: String(set.headers["x-request-id"]),
      audit: { action: null, targetType: null, targetId: null, detail: {} } as AuditNote,
    }))
    .macro({
      /** `audit: "session.create"` names the route's action in the audit trail (see learnActions). */
      audit(action: string) {
        // An OpenAPI extension field (x-…): allowed by the spec, unknown to Elysia's OperationObject type.
        return { detail: { [ACTION_KEY]: action } as DocumentDecoration }
      },
    })
    .onAfterResponse({ as: "global" }, (ctx) => {
      const { request, set, server, route } = ctx
      if (!MUTATING.has(request.method) || !route) return
      const c = ctx as typeof ctx & { audit?: AuditNote; principal?: Principal | null; params?: Record<string, string> }
      const status = typeof set.status === "number" ? set.status : 200
      const note = c.audit
      const action = note?.action ?? writer.actionOf(request.method, route)
      const rowBy = (principal: Principal | null): AuditRow => ({
        actorId: principal?.id ?? null,
        actorName: principal?.username ?? null,
        action: action ?? `${request.method} ${route}`,
        targetType: note?.targetType ?? action?.split(".")[0] ?? null,
        targetId: note?.targetId ?? c.params?.id ?? null,
        outcome: status < 400 ? "success" : "failure",
        status,
        // The socket's address only: a client-sent X-Forwarded-For would let callers forge the trail.
        ip: server?.requestIP(request)?.address ?? null,
        requestId: String(set.headers["x-request-id"] ?? "unknown"),
        detail: note?.detail ?? {},
      })
      writer.write(c.principal !== undefined ? rowBy(c.principal) : identify(request.headers.get("authorization")).then(rowBy))
    })
