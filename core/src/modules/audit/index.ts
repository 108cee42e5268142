// Routes: the audit trail for admins, as JSON pages or a CSV/JSON export.
import { AuditEvent, AuditQuery, Page } from "@streamspace/schemas"
import { Elysia } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import { integerQuery } from "../../http/query.ts"
import { toCsv } from "./csv.ts"
import { listAudit } from "./repo.ts"

const EXPORT_LIMIT = 10_000

export const auditRoutes = (deps: CoreDeps, http: HttpPlugins) =>
  new Elysia({ name: "audit", prefix: "/api/v1/audit" })
    .use(http)
    .get("/", ({ query }) => listAudit(deps.sql, query), {
      auth: "admin",
      ...integerQuery(AuditQuery),
      response: { 200: Page(AuditEvent) },
      detail: { summary: "Search the audit trail", tags: ["audit"] },
    })
    .get(
      "/export",
      async ({ query }) => {
        const { items } = await listAudit(deps.sql, { ...query, limit: query.limit ?? EXPORT_LIMIT, offset: 0 })
        const csv = query.format === "csv"
        const stamp = new Date().toISOString().slice(0, 19).replaceAll(":", "")
        return new Response(csv ? toCsv(items) : JSON.stringify(items), {
          headers: {
            "content-type": csv ? "text/csv; charset=utf-8" : "application/json",
            "content-disposition": `attachment; filename="audit-${stamp}.${csv ? "csv" : "json"}"`,
          },
        })
      },
      {
        auth: "admin",
        ...integerQuery(AuditQuery),
        detail: { summary: "Export the audit trail as CSV or JSON (format=csv|json)", tags: ["audit"] },
      },
    )
