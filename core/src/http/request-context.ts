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

export const requestContext = (writer: AuditWriter) =>
  new Elysia({ name: "request-context" })
    .derive({ as: "global" }, ({ headers, set }) => {
      const requestId = requestIdOf(headers["x-request-id"])
      set.headers["x-request-id"] = requestId
      const audit: AuditNote = { action: null, targetType: null, targetId: null, detail: {} }
      return { requestId, audit }
    })
    .macro({
      /** Names the audited action before validation, so rejected calls are named too. */
      audit(action: string) {
        return {
          transform({ audit, params }: { audit: AuditNote; params: Record<string, string> }) {
            audit.action = action
            audit.targetType = action.split(".")[0] ?? null
            if (params?.id) audit.targetId = params.id
          },
        }
      },
    })
    .onAfterResponse({ as: "global" }, (ctx) => {
      const { request, set, server, route } = ctx
      if (!MUTATING.has(request.method) || !route) return
      const c = ctx as typeof ctx & { audit?: AuditNote; principal?: Principal | null; requestId?: string }
      const status = typeof set.status === "number" ? set.status : 200
      const note = c.audit
      writer.write({
        actorId: c.principal?.id ?? null,
        actorName: c.principal?.username ?? null,
        action: note?.action ?? `${request.method} ${route}`,
        targetType: note?.targetType ?? null,
        targetId: note?.targetId ?? null,
        outcome: status < 400 ? "success" : "failure",
        status,
        // The socket's address only: a client-sent X-Forwarded-For would let callers forge the trail.
        ip: server?.requestIP(request)?.address ?? null,
        requestId: c.requestId ?? "unknown",
        detail: note?.detail ?? {},
      })
    })
