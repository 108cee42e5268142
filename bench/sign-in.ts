// Sign-in latency, p50/p99: the auth plugin's hooks (real runtime, in-memory host) and the full HTTP routes of a core.
import { join } from "node:path"
import { ensureFirstAdmin } from "../core/src/bootstrap.ts"
import { startAuthCore } from "../core/src/modules/auth/auth-test-core.ts"
import type { PluginManifest, User } from "../schemas/src/index.ts"
import { buildPlugin } from "../sdk/src/plugin/build.ts"
import { InMemoryHostApi, PluginSupervisor } from "../plugins/runtime/src/host/index.ts"
import manifestJson from "../plugins/auth/manifest.json"

const SIGN_INS = Number(process.env.BENCH_SIGN_INS ?? 100)
const REFRESHES = Number(process.env.BENCH_REFRESHES ?? 1000)
const CONCURRENT = 10

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN

export interface Latency {
  name: string
  calls: number
  p50: number
  p99: number
  perSecond: number
}

async function measure(name: string, calls: number, concurrency: number, call: () => Promise<void>): Promise<Latency> {
  const took: number[] = []
  let left = calls
  const started = performance.now()
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) {
        const t = performance.now()
        await call()
        took.push(performance.now() - t)
      }
    }),
  )
  const elapsed = performance.now() - started
  took.sort((a, b) => a - b)
  return { name, calls, p50: percentile(took, 0.5), p99: percentile(took, 0.99), perSecond: (calls / elapsed) * 1000 }
}

const USER: User = {
  id: "0b7c2a8e-4f51-4d3a-9c8e-000000000001",
  username: "bench",
  email: "bench@example.com",
  displayName: "Bench",
  role: "user",
  disabled: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  lastSignInAt: null,
}
const PASSWORD = "correct horse battery"
const client = { ip: "", userAgent: "bench" }

/** The auth plugin's hooks as the core calls them: argon2id on the host, kv, the isolate's own work. */
export async function signInLatency(): Promise<Latency[]> {
  const manifest = manifestJson as PluginManifest
  const { code } = await buildPlugin(join(import.meta.dir, "..", "plugins", "auth", "src", "plugin.ts"))
  const supervisor = new PluginSupervisor({ host: new InMemoryHostApi({ users: [USER] }) })
  await supervisor.start()
  try {
    await supervisor.install({ installId: "auth", manifest, bundle: code, config: {}, granted: manifest.permissions })
    const user = { id: USER.id, username: USER.username, role: USER.role }
    await supervisor.callHook("auth.setup", "auth", { user, password: PASSWORD })
    const signIn = async () => {
      const { output } = await supervisor.callHook("auth.signIn", "auth", { username: "bench", password: PASSWORD, client })
      if (output.outcome !== "allow") throw new Error(`sign-in refused: ${JSON.stringify(output)}`)
      return output.signIn.refreshToken
    }
    let token = await signIn()
    const refresh = async () => {
      const { output } = await supervisor.callHook("auth.refresh", "auth", { refreshToken: token, client })
      if (output.outcome !== "allow") throw new Error(`refresh refused: ${JSON.stringify(output)}`)
      token = output.signIn.refreshToken
    }
    return [
      await measure("password sign-in (argon2id verify + new sign-in), serial", SIGN_INS, 1, async () => void (await signIn())),
      await measure(`password sign-in, ${CONCURRENT} concurrent`, SIGN_INS, CONCURRENT, async () => void (await signIn())),
      await measure("refresh rotation, serial", REFRESHES, 1, refresh),
    ]
  } finally {
    await supervisor.stop()
  }
}

/** The same through a listening core: HTTP, JWT signing, PGlite-backed kv and users, the plugin host. */
export async function httpSignInLatency(): Promise<Latency[]> {
  const core = await startAuthCore()
  try {
    const setup = await ensureFirstAdmin(core.deps.sql, "admin")
    if (setup === null) throw new Error("no setup token")
    await core.post("/api/v1/auth/setup", { token: setup.token, password: PASSWORD })
    let refreshToken = ""
    const signIn = async () => {
      const response = await core.post("/api/v1/auth/sign-in", { username: "admin", password: PASSWORD })
      if (response.status !== 200) throw new Error(`sign-in answered ${response.status}: ${await response.text()}`)
      refreshToken = ((await response.json()) as { refreshToken: string }).refreshToken
    }
    await signIn()
    const refresh = async () => {
      const response = await core.post("/api/v1/auth/refresh", { refreshToken })
      if (response.status !== 200) throw new Error(`refresh answered ${response.status}: ${await response.text()}`)
      refreshToken = ((await response.json()) as { refreshToken: string }).refreshToken
    }
    return [
      await measure("HTTP POST /auth/sign-in, serial", SIGN_INS, 1, signIn),
      await measure(`HTTP POST /auth/sign-in, ${CONCURRENT} concurrent`, SIGN_INS, CONCURRENT, async () => {
        const response = await core.post("/api/v1/auth/sign-in", { username: "admin", password: PASSWORD })
        if (response.status !== 200) throw new Error(`sign-in answered ${response.status}`)
      }),
      await measure("HTTP POST /auth/refresh, serial", REFRESHES, 1, refresh),
    ]
  } finally {
    await core.close()
  }
}

export const printLatencies = (rows: Latency[]) => {
  console.log("sign-in case | calls | p50 | p99 | per second")
  for (const r of rows)
    console.log([r.name, r.calls, `${r.p50.toFixed(2)} ms`, `${r.p99.toFixed(2)} ms`, r.perSecond.toFixed(1)].join(" | "))
}

if (import.meta.main) printLatencies([...(await signInLatency()), ...(await httpSignInLatency())])
