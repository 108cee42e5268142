// SQL for the audit trail.
import type { AuditEvent, AuditQuery } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

export type AuditRow = Omit<AuditEvent, "id" | "at">

export const insertAudit = (sql: Sql, r: AuditRow) =>
  sql`insert into audit_events (actor_id, actor_name, action, target_type, target_id, outcome, status, ip, request_id, detail)
    values (${r.actorId}, ${r.actorName}, ${r.action}, ${r.targetType}, ${r.targetId}, ${r.outcome}, ${r.status}, ${r.ip},
      ${r.requestId}, ${sql.json(r.detail as never)})`

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
