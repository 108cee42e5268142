// Liveness and readiness probes for load balancers and orchestrators.
import { Elysia, t } from "elysia"
import type { Database } from "../infra/db/connect.ts"
import { pendingMigrations } from "../infra/db/migrate.ts"

export const healthRoutes = (db: Database) =>
  new Elysia({ name: "health" })
    .get("/healthz", () => ({ status: "ok" as const }), {
      response: { 200: t.Object({ status: t.Literal("ok") }) },
      detail: { summary: "The process is alive", tags: ["health"] },
    })
    .get(
      "/readyz",
      async ({ set }) => {
        try {
          const pending = await pendingMigrations(db.sql)
          if (pending > 0) {
            set.status = 503
            return { status: "not_ready" as const, database: db.kind, reason: `${pending} migration(s) not applied` }
          }
          return { status: "ready" as const, database: db.kind }
        } catch (e) {
          set.status = 503
          return { status: "not_ready" as const, database: db.kind, reason: `database unreachable: ${(e as Error).message}` }
        }
      },
      { detail: { summary: "The database is reachable and migrated", tags: ["health"] } },
    )
