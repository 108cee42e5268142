// bun run bench:plugins (second part) — the core's own path: SessionPolicy → runtime → quotas plugin → core host (SQL) → back,
// and a whole POST /api/v1/sessions that the quota refuses. BENCH_DATABASE=postgres runs it on PostgreSQL instead of PGlite.
import { join } from "node:path"
import type { Template } from "../schemas/src/index.ts"
import { createApp } from "../core/src/app.ts"
import { migrate } from "../core/src/infra/db/migrate.ts"
import { createLogger } from "../core/src/infra/log.ts"
import type { Principal } from "../core/src/modules/identity/principal.ts"
import { installPlugin } from "../core/src/modules/plugins/service.ts"
import { createSession } from "../core/src/modules/sessions/service.ts"
import { createTemplate } from "../core/src/modules/templates/service.ts"
import { createUser } from "../core/src/modules/users/service.ts"
import { openTestDatabase } from "../core/src/testing/test-database.ts"
import { buildPlugin } from "../sdk/src/plugin/build.ts"
import { measureAll, printTable } from "./measure.ts"

const plan = {
  serial: Number(process.env.BENCH_CORE_SERIAL ?? 1000),
  concurrency: 50,
  concurrentTotal: Number(process.env.BENCH_CORE_CONCURRENT_TOTAL ?? 5000),
  warmup: 300,
  // Each call here is a database round trip: one round keeps the whole bench within a few minutes.
  rounds: Number(process.env.BENCH_CORE_ROUNDS ?? 1),
}
const backend = process.env.BENCH_DATABASE === "postgres" ? "postgres" : "pglite"

const db = await openTestDatabase(backend)
await migrate(db.sql)
const { app, deps, plugins } = createApp({
  db,
  log: createLogger("silent"),
  signingKey: "bench-signing-key-that-is-long-enough-000000",
  accessTokenTtlSeconds: 900,
  plugins: { run: true },
})
await plugins.ready

const quotasDir = join(import.meta.dir, "..", "plugins", "quotas")
const quotas = await buildPlugin(join(quotasDir, "src", "plugin.ts"))
const manifest = await Bun.file(join(quotasDir, "manifest.json")).json()
// A generous deadline: this measures throughput; a busy machine must not turn into fail-closed refusals.
manifest.limits.hookTimeoutMs = 5000
await installPlugin(deps, plugins, {
  source: "upload",
  manifest,
  bundle: quotas.code,
  grant: { sessions: "read" },
  config: { defaults: { sessions: 2 } },
})

const template: Template = await createTemplate(deps, {
  name: "xterm",
  displayName: "XTerm",
  category: "Development",
  image: "streamspace/desktop:latest",
  resources: { cpu: 1, memory: 512 },
})
const allowed = await createUser(deps, { username: "room-left" })
const full = await createUser(deps, { username: "at-limit" })
const asPrincipal = (u: typeof full): Principal => ({ id: u.id, username: u.username, role: u.role, via: "token" })
for (let i = 0; i < 2; i++) await createSession(deps, asPrincipal(full), { templateId: template.id })
const { accessToken } = await deps.tokens.issue({ sub: full.id, role: full.role, name: full.username })

const policy = deps.sessionPolicy
if (policy === undefined) throw new Error("The plugin host did not install its session policy.")
const request = { template, resources: template.resources }

const results = await measureAll(
  [
    [
      "core SessionPolicy → quotas plugin → sessions.usage (SQL) → allow",
      () => policy.beforeCreate(asPrincipal(allowed), request),
    ],
    [
      "POST /api/v1/sessions refused by the quota (HTTP in-process, auth, audit row, 409)",
      async () => {
        const res = await app.handle(
          new Request("http://localhost/api/v1/sessions", {
            method: "POST",
            headers: { authorization: `Bearer ${accessToken}`, "content-type": "application/json" },
            body: JSON.stringify({ templateId: template.id }),
          }),
        )
        if (res.status !== 409) throw new Error(`expected 409, got ${res.status}: ${await res.text()}`)
      },
    ],
  ],
  plan,
)
await plugins.stop()
await db.close()

console.log(
  `\ncore → plugin host round trip on ${backend} — ${plan.serial} serial calls, ${plan.concurrentTotal} calls at ${plan.concurrency} concurrent, median of ${plan.rounds} rounds`,
)
printTable(results, plan.concurrency)
