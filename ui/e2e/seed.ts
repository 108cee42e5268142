// Prepares a fresh control-plane database for the end-to-end test, through core's own services:
// an admin with an API key, a plain user, and a day of finished sessions for the dashboard chart.
// Usage: bun run ui/e2e/seed.ts DATA_DIR   → prints {"adminKey": "...", "userKey": "..."} on stdout
import { cpSync } from "node:fs"
import { createApp } from "@streamspace/core"
import { ensureSigningKey } from "../../core/src/bootstrap.ts"
import { connectPglite } from "../../core/src/infra/db/connect.ts"
import { migrate } from "../../core/src/infra/db/migrate.ts"
import { createLogger } from "../../core/src/infra/log.ts"
import { createApiKey } from "../../core/src/modules/api-keys/service.ts"
import type { Principal } from "../../core/src/modules/identity/principal.ts"
import { pgliteTemplate } from "../../core/src/testing/test-database.ts"
import { seedDefaultCatalog } from "../../core/src/modules/templates/service.ts"
import { createUser } from "../../core/src/modules/users/service.ts"

const dataDir = process.argv[2]
if (!dataDir) {
  console.error("usage: bun run ui/e2e/seed.ts DATA_DIR")
  process.exit(2)
}

// initdb costs several seconds: start from the migrated data dir that core's tests keep.
cpSync(await pgliteTemplate(), dataDir, { recursive: true })
const db = await connectPglite(dataDir)
await migrate(db.sql)
const { deps, audit } = createApp({
  db,
  log: createLogger("silent"),
  signingKey: await ensureSigningKey(db.sql, undefined),
  accessTokenTtlSeconds: 900,
})
await seedDefaultCatalog(deps)

const principal = (u: { id: string; username: string; role: Principal["role"] }): Principal => ({ ...u, via: "token" })
const admin = await createUser(deps, { username: "ada", displayName: "Ada Admin", email: "ada@example.test", role: "admin" })
const user = await createUser(deps, { username: "bob", displayName: "Bob User", role: "user" })
const adminKey = await createApiKey(deps, principal(admin), { name: "e2e-admin" })
const userKey = await createApiKey(deps, principal(user), { name: "e2e-user" })

// History only: finished sessions spread over the last day (no agent runs here, so none is live).
const template = (await db.sql<{ id: string; name: string }[]>`select id, name from templates order by name limit 1`)[0]
if (template) {
  const hour = 3_600_000
  const now = Date.now()
  for (let i = 0; i < 30; i++) {
    const created = now - ((i * 7919) % 23) * hour - ((i * 104729) % 50) * 60_000 - 60_000
    const stopped = Math.min(now - 30_000, created + (20 + ((i * 31) % 160)) * 60_000)
    await db.sql`insert into sessions (user_id, template_id, template_name, state, reason, resources, created_at, updated_at, started_at, stopped_at)
      values (${i % 3 === 0 ? admin.id : user.id}, ${template.id}, ${template.name}, 'stopped', 'stopped by user',
        ${db.sql.json({ cpu: 1, memory: 1024 })}, ${new Date(created)}, ${new Date(stopped)}, ${new Date(created + 2000)}, ${new Date(stopped)})`
  }
}

await audit.settled()
await db.close()
console.log(JSON.stringify({ adminKey: adminKey.secret, userKey: userKey.secret }))
