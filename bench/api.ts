// bun run bench:api — the control plane's REST hot paths under wrk, beside a bare Bun.serve, on both databases;
// plus start time to /readyz and idle RSS. Prints Markdown tables for BENCHMARKS.md.
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { cpus, loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import type { Subprocess } from "bun"
import { createApp } from "../core/src/app.ts"
import { PRODUCTION_ENV } from "../core/src/infra/production-env.ts"
import { connectPglite, connectPostgres, type Database } from "../core/src/infra/db/connect.ts"
import { migrate } from "../core/src/infra/db/migrate.ts"
import { createLogger } from "../core/src/infra/log.ts"
import { createTokenService } from "../core/src/modules/identity/tokens.ts"
import { createSession } from "../core/src/modules/sessions/service.ts"
import { createTemplate } from "../core/src/modules/templates/service.ts"
import { createUser } from "../core/src/modules/users/service.ts"
import { createPostgresDatabase } from "../core/src/testing/test-database.ts"
import { type LoadFigures, wrk } from "./wrk.ts"

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3)
const CONNECTIONS = [10, 100]
const SESSIONS = 50
const JWT_SECRET = "bench-signing-key-bench-signing-key-0000"
const MAIN = join(import.meta.dir, "..", "core", "src", "main.ts")

// ---- processes ----

const freePort = () => {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() })
  const port = probe.port as number
  probe.stop(true)
  return port
}

interface Started {
  proc: Subprocess
  url: string
  readyMs: number
}

/** Starts main.ts on a known port and times it from spawn to the first 200 from /readyz. */
async function startCore(env: Record<string, string>): Promise<Started> {
  const port = freePort()
  const url = `http://127.0.0.1:${port}`
  const started = performance.now()
  const proc = Bun.spawn(["bun", ...(process.env.BENCH_BUN_FLAGS?.split(" ").filter(Boolean) ?? []), MAIN], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: process.env.HOME ?? "/tmp",
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: "warn",
      JWT_SECRET,
      ACCESS_TOKEN_TTL_SECONDS: "3600",
      LOCAL_DOCKER_AGENT: "off",
      ...PRODUCTION_ENV,
      ...env,
    },
    stdout: "ignore",
    stderr: "inherit",
  })
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the control plane exited with ${proc.exitCode}`)
    const ok = await fetch(`${url}/readyz`).then(
      (r) => r.status === 200,
      () => false,
    )
    if (ok) return { proc, url, readyMs: performance.now() - started }
    if (performance.now() - started > 120_000) throw new Error("the control plane was not ready within 120 s")
    await Bun.sleep(5)
  }
}

const stop = async (proc: Subprocess) => {
  proc.kill("SIGTERM")
  await proc.exited
}

const rssMiB = (pid: number) => {
  const kb = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1])
  return kb / 1024
}

/** The process and its children (the plugin runtime is a Node child of the control plane). */
const treeRssMiB = (pid: number): number => {
  const children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(" ").filter(Boolean).map(Number)
  return rssMiB(pid) + children.reduce((sum, child) => sum + treeRssMiB(child), 0)
}

/** A yardstick server (bare-server.ts, elysia-floor.ts) in its own process; it prints its port. */
async function startYardstick(file: string): Promise<{ proc: Subprocess; url: string }> {
  const proc = Bun.spawn(["bun", join(import.meta.dir, file)], {
    env: { ...process.env, ...PRODUCTION_ENV },
    stdout: "pipe",
    stderr: "inherit",
  })
  const reader = proc.stdout.getReader()
  const { value } = await reader.read()
  reader.releaseLock()
  return { proc, url: `http://127.0.0.1:${Number(new TextDecoder().decode(value).trim())}` }
}

// ---- data ----

/** A user with 50 sessions of one template, and an access token for them. */
async function seed(db: Database): Promise<string> {
  await migrate(db.sql)
  const { deps } = createApp({ db, log: createLogger("silent"), signingKey: JWT_SECRET, accessTokenTtlSeconds: 3600 })
  const user = await createUser(deps, { username: `bench-${Date.now().toString(36)}` })
  const principal = { id: user.id, username: user.username, role: user.role, via: "token" as const }
  const template = await createTemplate(deps, {
    name: `bench-${Date.now().toString(36)}`,
    displayName: "Bench",
    category: "Bench",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 512 },
  })
  for (let i = 0; i < SESSIONS; i++) await createSession(deps, principal, { templateId: template.id })
  const tokens = createTokenService(JWT_SECRET, 3600)
  return (await tokens.issue({ sub: user.id, role: user.role, name: user.username })).accessToken
}

// ---- measurements ----

interface Row {
  backend: string
  what: string
  connections: number
  figures: LoadFigures
  bare: LoadFigures
}

async function load(url: string, connections: number, extra: { headers?: Record<string, string>; script?: string } = {}) {
  await wrk({ url, connections, seconds: 1, ...extra }) // warm-up: JIT, pools, caches
  const figures = await wrk({ url, connections, seconds: SECONDS, ...extra })
  if (figures.perSecond === 0) throw new Error(`no request to ${url} completed within wrk's 2 s timeout`)
  return figures
}

async function checkOnce(url: string, token: string) {
  const list = await fetch(`${url}/api/v1/sessions`, { headers: { authorization: `Bearer ${token}` } })
  const body = (await list.json()) as { items: unknown[]; total: number }
  if (list.status !== 200 || body.items.length !== SESSIONS)
    throw new Error(`list answered ${list.status} with ${body.items?.length}`)
  const post = await fetch(`${url}/api/v1/sessions`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: '{"templateId":"not-a-uuid"}',
  })
  if (post.status !== 422) throw new Error(`the invalid POST answered ${post.status}`)
}

async function apiRows(backend: string, env: Record<string, string>, token: string, bare: Map<number, LoadFigures>) {
  const core = await startCore(env)
  const rows: Row[] = []
  try {
    await checkOnce(core.url, token)
    const auth = { authorization: `Bearer ${token}` }
    for (const c of CONNECTIONS) {
      const figures = await load(`${core.url}/api/v1/sessions`, c, { headers: auth })
      rows.push({
        backend,
        what: `GET /api/v1/sessions (${SESSIONS} items)`,
        connections: c,
        figures,
        bare: bare.get(c) as LoadFigures,
      })
    }
    for (const c of CONNECTIONS) {
      const figures = await load(`${core.url}/api/v1/sessions`, c, { headers: auth, script: "invalid-post.lua" })
      rows.push({
        backend,
        what: "POST /api/v1/sessions (invalid body → 422)",
        connections: c,
        figures,
        bare: bare.get(c) as LoadFigures,
      })
    }
    const expected = rows.filter((r) => r.what.startsWith("GET") && r.figures.non2xx > 0)
    if (expected.length) throw new Error(`the list answered errors under load: ${JSON.stringify(expected)}`)
  } finally {
    await stop(core.proc)
  }
  return rows
}

// ---- report ----

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })

function table(rows: Row[], bareRows: [number, LoadFigures][]) {
  const lines = ["| backend | request | conns | req/s | p50 ms | p99 ms | × bare req/s |", "|---|---|---:|---:|---:|---:|---:|"]
  for (const [c, f] of bareRows)
    lines.push(`| — | bare Bun.serve hello-world | ${c} | ${fmt(f.perSecond)} | ${fmt(f.p50Ms, 2)} | ${fmt(f.p99Ms, 2)} | 1.00 |`)
  for (const r of rows)
    lines.push(
      `| ${r.backend} | ${r.what} | ${r.connections} | ${fmt(r.figures.perSecond)} | ${fmt(r.figures.p50Ms, 2)} | ${fmt(r.figures.p99Ms, 2)} | ${fmt(r.figures.perSecond / r.bare.perSecond, 2)} |`,
    )
  return lines.join("\n")
}

function goals(rows: Row[]) {
  const pick = (backend: string, verb: string, c: number) =>
    rows.find((r) => r.backend === backend && r.what.startsWith(verb) && r.connections === c) as Row
  const list100 = pick("postgres", "GET", 100)
  const list10 = pick("postgres", "GET", 10)
  const post100 = pick("postgres", "POST", 100)
  const ratio = (r: Row) => r.figures.perSecond / r.bare.perSecond
  const mark = (ok: boolean) => (ok ? "met" : "**missed**")
  return [
    `- list ≥ 0.12× bare at 100 connections: ${fmt(ratio(list100), 2)}× — ${mark(ratio(list100) >= 0.12)}`,
    `- list p99 ≤ 5 ms at 10 connections: ${fmt(list10.figures.p99Ms, 2)} ms — ${mark(list10.figures.p99Ms <= 5)}`,
    `- invalid POST ≥ 0.5× bare (100 connections): ${fmt(ratio(post100), 2)}× — ${mark(ratio(post100) >= 0.5)}`,
  ].join("\n")
}

// ---- run ----

const t0 = performance.now()
const load0 = loadavg()
console.error(`bench:api on ${cpus().length} × ${cpus()[0]?.model}, load average ${load0.map((l) => l.toFixed(2)).join(" ")}`)

const bareServer = await startYardstick("bare-server.ts")
const bare = new Map<number, LoadFigures>()
for (const c of CONNECTIONS) bare.set(c, await load(bareServer.url, c))
await stop(bareServer.proc)
const floorServer = await startYardstick("elysia-floor.ts")
const floor: Row[] = []
for (const c of CONNECTIONS) {
  const figures = await load(`${floorServer.url}/api/v1/sessions`, c, { script: "invalid-post.lua" })
  if (figures.non2xx === 0) throw new Error("the Elysia floor accepted the invalid body")
  floor.push({
    backend: "—",
    what: "Elysia + the body schema only: invalid body → 422",
    connections: c,
    figures,
    bare: bare.get(c) as LoadFigures,
  })
}
await stop(floorServer.proc)

// Embedded database: first start on an empty data dir (initdb + migrations + catalog), restart, idle RSS.
const dataRoot = mkdtempSync(join(tmpdir(), "streamspace-bench-"))
const dataDir = join(dataRoot, "data")
const first = await startCore({ DATA_DIR: dataDir })
await Bun.sleep(2000)
const idlePglite = { core: rssMiB(first.proc.pid), tree: treeRssMiB(first.proc.pid) }
await stop(first.proc)
const restart = await startCore({ DATA_DIR: dataDir })
await stop(restart.proc)
const pgliteDb = await connectPglite(dataDir)
const pgliteToken = await seed(pgliteDb)
await pgliteDb.close()

// PostgreSQL: a fresh database, first start (migrations + catalog), idle RSS.
const pg = await createPostgresDatabase()
const pgFirst = await startCore({ DATABASE_URL: pg.url })
await Bun.sleep(2000)
const idlePostgres = { core: rssMiB(pgFirst.proc.pid), tree: treeRssMiB(pgFirst.proc.pid) }
await stop(pgFirst.proc)
const pgDb = await connectPostgres(pg.url, 2)
const pgToken = await seed(pgDb)
await pgDb.close()

const rows: Row[] = []
try {
  rows.push(...(await apiRows("postgres", { DATABASE_URL: pg.url }, pgToken, bare)))
  rows.push(...(await apiRows("pglite", { DATA_DIR: dataDir }, pgliteToken, bare)))
} finally {
  await pg.drop()
  rmSync(dataRoot, { recursive: true, force: true })
}

const load1 = loadavg()
console.log(`### Requests (wrk -t2, ${SECONDS} s per row after a 1 s warm-up)\n`)
console.log(table([...floor, ...rows], [...bare.entries()]))
console.log(`\nGoals on PostgreSQL:\n${goals(rows)}\n`)
const floor100 = floor.find((r) => r.connections === 100) as Row
console.log(
  `The framework's own floor for the invalid POST at 100 connections: ${fmt(floor100.figures.perSecond / floor100.bare.perSecond, 2)}× bare.\n`,
)
console.log("### Start and memory\n")
console.log("| what | figure |\n|---|---:|")
console.log(`| first start to /readyz, embedded PGlite (initdb, migrations, catalog) | ${fmt(first.readyMs)} ms |`)
console.log(`| restart to /readyz, embedded PGlite | ${fmt(restart.readyMs)} ms |`)
console.log(`| first start to /readyz, PostgreSQL (migrations, catalog) | ${fmt(pgFirst.readyMs)} ms |`)
console.log(
  `| idle RSS, embedded PGlite: control plane (with plugin runtime) | ${fmt(idlePglite.core)} MiB (${fmt(idlePglite.tree)} MiB) |`,
)
console.log(
  `| idle RSS, PostgreSQL: control plane (with plugin runtime) | ${fmt(idlePostgres.core)} MiB (${fmt(idlePostgres.tree)} MiB) |`,
)
console.log(
  `\nload average before ${load0.map((l) => l.toFixed(2)).join(" ")}, after ${load1.map((l) => l.toFixed(2)).join(" ")}; ` +
    `whole run ${fmt((performance.now() - t0) / 1000)} s`,
)
