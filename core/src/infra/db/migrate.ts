// Versioned SQL migrations, applied at start in one transaction; running them twice is a no-op.
import type { RootSql, Sql } from "./connect.ts"
import m0001 from "./migrations/0001_init.sql" with { type: "text" }
import m0002 from "./migrations/0002_agent_commands.sql" with { type: "text" }
import m0003 from "./migrations/0003_session_shares.sql" with { type: "text" }
import m0004 from "./migrations/0004_plugins.sql" with { type: "text" }
import m0005 from "./migrations/0005_events.sql" with { type: "text" }
import m0006 from "./migrations/0006_agent_leader_token.sql" with { type: "text" }
import m0007 from "./migrations/0007_plugin_own_secrets.sql" with { type: "text" }

export const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [
  { version: 1, name: "init", sql: m0001 },
  { version: 2, name: "agent_commands", sql: m0002 },
  { version: 3, name: "session_shares", sql: m0003 },
  { version: 4, name: "plugins", sql: m0004 },
  { version: 5, name: "events", sql: m0005 },
  { version: 6, name: "agent_leader_token", sql: m0006 },
  { version: 7, name: "plugin_own_secrets", sql: m0007 },
]

/** Serialises concurrent starters (several replicas) on one advisory lock. */
const MIGRATION_LOCK = 7_281_100

export async function migrate(sql: RootSql): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${MIGRATION_LOCK})`
    await tx`create table if not exists schema_migrations (
      version integer primary key, name text not null, applied_at timestamptz not null default now())`
    const done = new Set((await tx<{ version: number }[]>`select version from schema_migrations`).map((r) => r.version))
    const applied: number[] = []
    for (const m of MIGRATIONS) {
      if (done.has(m.version)) continue
      await tx.unsafe(m.sql)
      await tx`insert into schema_migrations (version, name) values (${m.version}, ${m.name})`
      applied.push(m.version)
    }
    return applied
  })
}

export async function pendingMigrations(sql: Sql): Promise<number> {
  const rows = await sql<{ version: number }[]>`select version from schema_migrations`
  const done = new Set(rows.map((r) => r.version))
  return MIGRATIONS.filter((m) => !done.has(m.version)).length
}
