// bun run bench:plugins (sign-in part) — sign-in and refresh latency through the auth plugin: its hooks on the runtime with an
// in-memory host, then the HTTP routes of a listening core. BENCH_DATABASE=postgres runs the core on PostgreSQL instead of PGlite.
import { join } from "node:path"
import { ensureFirstAdmin } from "../core/src/bootstrap.ts"
import { startAuthCore } from "../core/src/modules/auth/auth-test-core.ts"
import type { PluginManifest, User } from "../schemas/src/index.ts"
import { buildPlugin } from "../sdk/src/plugin/build.ts"
import { InMemoryHostApi, PluginSupervisor } from "../plugins/runtime/src/host/index.ts"
import manifestJson from "../plugins/auth/manifest.json"
import { type Call, measureAll, type Plan, printTable } from "./measure.ts"

const CONCURRENCY = 10
// Every sign-in runs argon2id (19 MiB, 2 passes): a few dozen calls already take seconds.
const signInPlan: Plan = {
  serial: Number(process.env.BENCH_SIGN_IN_SERIAL ?? 50),
  concurrency: CONCURRENCY,
  concurrentTotal: Number(process.env.BENCH_SIGN_IN_CONCURRENT_TOTAL ?? 50),
  warmup: 3,
  rounds: 1,
}
const refreshPlan: Plan = { serial: 500, concurrency: CONCURRENCY, concurrentTotal: 500, warmup: 20, rounds: 1 }
const backend = process.env.BENCH_DATABASE === "postgres" ? "postgres" : "pglite"

const USER: User = {
  id: "0b7c2a8e-4f51-4d3a-9c8e-000000000001",
  username: "admin",
  email: "admin@example.com",
  displayName: "Admin",
  role: "admin",
  disabled: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  lastSignInAt: null,
}
const PASSWORD = "correct horse battery"
const client = { ip: "", userAgent: "bench" }

/** Refresh tokens rotate: each concurrent caller takes a token of its own from the pool and puts the next one back. */
async function refreshing(signIn: () => Promise<string>, refresh: (token: string) => Promise<string>): Promise<Call> {
  const pool: string[] = []
  for (let i = 0; i < CONCURRENCY; i++) pool.push(await signIn())
  return async () => {
    const token = pool.pop()
    if (token === undefined) throw new Error("more concurrent callers than pooled refresh tokens")
    pool.push(await refresh(token))
  }
}

/** The auth plugin's hooks as the core calls them: argon2id on the host, kv, the isolate's own work. */
async function hookCases(): Promise<{ signIn: [string, Call]; refresh: [string, Call]; stop(): Promise<void> }> {
  const manifest = manifestJson as PluginManifest
  const { code } = await buildPlugin(join(import.meta.dir, "..", "plugins", "auth", "src", "plugin.ts"))
  const supervisor = new PluginSupervisor({ host: new InMemoryHostApi({ users: [USER] }) })
  await supervisor.start()
  await supervisor.install({ installId: "auth", manifest, bundle: code, config: {}, granted: manifest.permissions })
  await supervisor.callHook("auth.setup", "auth", {
    user: { id: USER.id, username: USER.username, role: USER.role },
    password: PASSWORD,
  })
  const signIn = async () => {
    const { output } = await supervisor.callHook("auth.signIn", "auth", { username: USER.username, password: PASSWORD, client })
    if (output.outcome !== "allow") throw new Error(`sign-in refused: ${JSON.stringify(output)}`)
    return output.signIn.refreshToken
  }
  const refresh = async (refreshToken: string) => {
    const { output } = await supervisor.callHook("auth.refresh", "auth", { refreshToken, client })
    if (output.outcome !== "allow") throw new Error(`refresh refused: ${JSON.stringify(output)}`)
    return output.signIn.refreshToken
  }
  return {
    signIn: ["hook auth.signIn (argon2id verify, new sign-in; in-memory host)", signIn],
    refresh: ["hook auth.refresh (rotation; in-memory host)", await refreshing(signIn, refresh)],
    stop: () => supervisor.stop(),
  }
}

/** The same through a listening core: HTTP, the admission queue, JWT signing, kv and users in the database. */
async function httpCases(): Promise<{ signIn: [string, Call]; refresh: [string, Call]; stop(): Promise<void> }> {
  const core = await startAuthCore({}, { backend })
  const setup = await ensureFirstAdmin(core.deps.sql, USER.username)
  if (setup === null) throw new Error("no setup token")
  await core.post("/api/v1/auth/setup", { token: setup.token, password: PASSWORD })
  const tokensOf = async (response: Response) => {
    if (response.status !== 200) throw new Error(`answered ${response.status}: ${await response.text()}`)
    return ((await response.json()) as { refreshToken: string }).refreshToken
  }
  const signIn = async () => tokensOf(await core.post("/api/v1/auth/sign-in", { username: USER.username, password: PASSWORD }))
  const refresh = async (refreshToken: string) => tokensOf(await core.post("/api/v1/auth/refresh", { refreshToken }))
  return {
    signIn: [`HTTP POST /api/v1/auth/sign-in (${backend})`, signIn],
    refresh: [`HTTP POST /api/v1/auth/refresh (${backend})`, await refreshing(signIn, refresh)],
    stop: () => core.close(),
  }
}

const hooks = await hookCases()
const http = await httpCases()
try {
  const signIns = await measureAll([hooks.signIn, http.signIn], signInPlan)
  const refreshes = await measureAll([hooks.refresh, http.refresh], refreshPlan)
  console.log(
    `sign-in benchmark — ${signInPlan.serial} serial sign-ins, ${signInPlan.concurrentTotal} at ${CONCURRENCY} concurrent; ${refreshPlan.serial} + ${refreshPlan.concurrentTotal} refreshes`,
  )
  printTable([...signIns, ...refreshes], CONCURRENCY)
} finally {
  await hooks.stop()
  await http.stop()
}
