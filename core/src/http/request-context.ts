// Per-request id and audit record; every mutating call leaves an audit row, whatever its outcome.
import { Elysia } from "elysia"
import type { Logger } from "../infra/log.ts"
import type { Sql } from "../infra/db/connect.ts"
import { insertAudit } from "../modules/audit/repo.ts"
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

/** Audit writes happen after the response; tests and shutdown wait on the ones still in flight. */
export class AuditWriter {
  private readonly pending = new Set<Promise<unknown>>()
  constructor(
    private readonly sql: Sql,
    private readonly log: Logger,
  ) {}
  write(row: Parameters<typeof insertAudit>[1]) {
    const p = insertAudit(this.sql, row).catch((error) => this.log.error({ err: error }, "could not write an audit row"))
    this.pending.add(p)
    p.finally(() => this.pending.delete(p))
  }
  async settled() {
    await Promise.all([...this.pending])
  }
}

const emptyNote = (): AuditNote => ({ action: null, targetType: null, targetId: null, detail: {} })

type NamingContext = { audit?: AuditNote; params?: Record<string, string> }

/** Names the audited action on the request's note, creating the note when the call failed before it existed. */
const nameAction = (ctx: NamingContext, action: string) => {
  ctx.audit ??= emptyNote()
  ctx.audit.action ??= action
  ctx.audit.targetType ??= action.split(".")[0] ?? null
  if (ctx.params?.id) ctx.audit.targetId ??= ctx.params.id
}

/** Who sent a request that failed before its principal was derived (e.g. a body that does not parse). */
export type LateIdentify = (authorization: string | null) => Promise<Principal | null>

export const requestContext = (writer: AuditWriter, identify: LateIdentify) =>
  new Elysia({ name: "request-context" })
    // Set before the body is parsed, so that even a malformed request answers with its id.
    .onRequest(({ request, set }) => {
      set.headers["x-request-id"] = requestIdOf(request.headers.get("x-request-id") ?? undefined)
    })
    .derive({ as: "global" }, ({ set, audit }: { set: { headers: Record<string, unknown> }; audit?: AuditNote }) => ({
      requestId: String(set.headers["x-request-id"]),
      audit: audit ?? emptyNote(),
    }))
    .macro({
      /**
       * Names the audited action as early as the route allows: the parse step comes before body
       * parsing and before the auth check, so refused and malformed calls are named too. Transform
       * covers routes with a fixed parser (parse: "text"), whose own parse hooks are not combined.
       */
      audit(action: string) {
        return {
          parse: (ctx: NamingContext) => void nameAction(ctx, action),
          transform: (ctx: NamingContext) => nameAction(ctx, action),
        }
      },
    })
    .onAfterResponse({ as: "global" }, async (ctx) => {
      const { request, set, server, route } = ctx
      if (!MUTATING.has(request.method) || !route) return
      const c = ctx as typeof ctx & { audit?: AuditNote; principal?: Principal | null }
      const principal = c.principal !== undefined ? c.principal : await identify(request.headers.get("authorization"))
      const status = typeof set.status === "number" ? set.status : 200
      const note = c.audit
      writer.write({
        actorId: principal?.id ?? null,
        actorName: principal?.username ?? null,
        action: note?.action ?? `${request.method} ${route}`,
        targetType: note?.targetType ?? null,
        targetId: note?.targetId ?? null,
        outcome: status < 400 ? "success" : "failure",
        status,
        // The socket's address only: a client-sent X-Forwarded-For would let callers forge the trail.
        ip: server?.requestIP(request)?.address ?? null,
        requestId: String(set.headers["x-request-id"] ?? "unknown"),
        detail: note?.detail ?? {},
      })
    })
