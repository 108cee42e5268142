// Per-request id and audit record; every mutating call leaves an audit row, whatever its outcome.
import { type DocumentDecoration, Elysia } from "elysia"
import type { AuditRow } from "../modules/audit/repo.ts"
import { ACTION_KEY, type AuditWriter } from "../modules/audit/writer.ts"
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

/** What the audit hook reads; `principal` is derived by auth-context, and is absent when a call failed before it. */
interface AfterResponse {
  request: Request
  set: { status?: number | string; headers: Record<string, unknown> }
  server: { requestIP(request: Request): { address: string } | null } | null
  route: string
  audit?: AuditNote
  principal?: Principal | null
  params?: Record<string, string | undefined>
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
    // The context is destructured in the parameter list: Elysia reads which fields a hook uses from its source, and a hook
    // that takes the whole context makes it prepare everything (cookies, query) for every request.
    .onAfterResponse({ as: "global" }, ({ request, set, server, route, audit, principal, params }: AfterResponse) => {
      if (!MUTATING.has(request.method) || !route) return
      const c = { audit, principal, params }
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
