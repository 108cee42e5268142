// SQL for the audit trail.
import type { AuditEvent, AuditQuery } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

export type AuditRow = Omit<AuditEvent, "id" | "at">

/** Many rows in one statement; each keeps the time it was written at (`now()` would be one per statement). */
export const insertAuditRows = (sql: Sql, rows: readonly (AuditRow & { at: string })[]) =>
  sql`insert into audit_events ${sql(rows.map((r) => ({ ...r, detail: sql.json(r.detail as never) })))}`

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
