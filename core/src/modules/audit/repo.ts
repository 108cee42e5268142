// SQL for the audit trail.
import type { AuditEvent, AuditQuery } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

export type AuditRow = Omit<AuditEvent, "id" | "at">

/**
 * Many rows in one statement, passed as ONE JSON parameter: binding eleven parameters per row made
 * postgres.js serialise every value on the request thread (half the CPU of a rejected POST).
 * Each row keeps the time it was written at (`now()` would be one per statement).
 */
export const insertAuditRows = (sql: Sql, rows: readonly (AuditRow & { at: string })[]) =>
  sql`insert into audit_events (at, actor_id, actor_name, action, target_type, target_id, outcome, status, ip, request_id, detail)
    select at, actor_id, actor_name, action, target_type, target_id, outcome, status, ip, request_id, coalesce(detail, '{}')
    from jsonb_to_recordset(${sql.json(rows.map(toColumns) as never)}) as r(at timestamptz, actor_id uuid,
      actor_name text, action text, target_type text, target_id text, outcome text, status integer, ip text,
      request_id text, detail jsonb)`

const toColumns = (r: AuditRow & { at: string }) => ({
  at: r.at,
  actor_id: r.actorId,
  actor_name: r.actorName,
  action: r.action,
  target_type: r.targetType,
  target_id: r.targetId,
  outcome: r.outcome,
  status: r.status,
  ip: r.ip,
  request_id: r.requestId,
  detail: r.detail,
})

export async function listAudit(sql: Sql, q: AuditQuery) {
  const where = sql`where true
    ${q.actorId ? sql`and actor_id = ${q.actorId}` : sql``}
    ${q.action ? sql`and action like ${`${q.action}%`}` : sql``}
    ${q.targetType ? sql`and target_type = ${q.targetType}` : sql``}
    ${q.targetId ? sql`and target_id = ${q.targetId}` : sql``}
    ${q.outcome ? sql`and outcome = ${q.outcome}` : sql``}
    ${q.since ? sql`and at >= ${q.since}` : sql``}
    ${q.until ? sql`and at < ${q.until}` : sql``}`
  const items = await sql<AuditEvent[]>`select * from audit_events ${where}
    order by at desc, id limit ${q.limit ?? 100} offset ${q.offset ?? 0}`
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from audit_events ${where}`
  return { items, total: count?.n ?? 0 }
}
