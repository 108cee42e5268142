// bun run bench:hub — 2,000 simulated agents (a separate process) on one control-plane replica (PostgreSQL + Redis, the HA
// set-up), heartbeating every 10 s, plus a stream of commands to a probe agent: RSS above idle, CPU for heartbeats, and the
// command round trip two ways: the hub's own (the session.start command issued → its result recorded, from the command
// row's timestamps) and the user's (POST /sessions → `running`, in two halves), each beside the same with no other agent
// connected (same run). Prints Markdown for BENCHMARKS.md.
import { writeFileSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import { createApp } from "../core/src/app.ts"
import { createLogger } from "../core/src/infra/log.ts"
import { registerAgent } from "../core/src/modules/agents/service.ts"
import { createApiKey } from "../core/src/modules/api-keys/service.ts"
import { createUser } from "../core/src/modules/users/service.ts"
import { startCoreProcess } from "../core/src/testing/core-process.ts"
import { FakeAgent } from "../core/src/testing/fake-agent.ts"
import { databaseForProcess } from "../core/src/testing/test-database.ts"
import { privateRedis } from "../core/src/testing/test-redis.ts"
import { cpuUse } from "./proc-cpu.ts"

const AGENTS = Number(process.env.BENCH_AGENTS ?? 2000)
const HEARTBEAT_MS = 10_000
const COMMANDS = Number(process.env.BENCH_COMMANDS ?? 300)
const CPU_WINDOW_S = Number(process.env.BENCH_CPU_SECONDS ?? 30)

const cpuSeconds = (pid: number) => {
  const use = cpuUse(pid)
  return use.user + use.system
}
const pct = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN
const rssMiB = async (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(await Bun.file(`/proc/${pid}/status`).text())?.[1]) / 1024

const redis = await privateRedis()
const database = await databaseForProcess("postgres")
const db = await database.open()
const { deps } = createApp({ db, log: createLogger("silent"), signingKey: "b".repeat(40), accessTokenTtlSeconds: 3600 })
const admin = await createUser(deps, { username: "hub-admin", role: "admin" })
const apiKey = (await createApiKey(deps, { ...admin, via: "token" }, { name: "hub" })).secret
const probeToken = (await registerAgent(deps, { name: "probe", platform: "docker" })).token
const tokens: string[] = []
for (let i = 0; i < AGENTS; i++) tokens.push((await registerAgent(deps, { name: `sim-${i}`, platform: "docker" })).token)
const template = await deps.sql`insert into templates (name, display_name, category, image, resources)
  values ('hub-bench', 'Hub bench', 'Bench', 'streamspace/desktop:latest', ${deps.sql.json({ cpu: 1, memory: 256 })}) returning id`
await db.close()
const tokensFile = join(tmpdir(), `hub-tokens-${process.pid}.json`)
writeFileSync(tokensFile, JSON.stringify(tokens))

const core = await startCoreProcess(
  {
    ...database.env,
    REDIS_URL: redis.url,
    JWT_SECRET: "b".repeat(40),
    PLUGIN_SECRETS_KEY: "c".repeat(64),
    PLUGINS_ENABLED: "false",
    AGENT_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS),
  },
  30_000,
  process.env.BENCH_BUN_FLAGS?.split(" ").filter(Boolean) ?? [],
)
const pid = core.proc.pid
const call = (path: string, init: RequestInit = {}) =>
  fetch(`${core.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...init.headers },
  })

const probe = await FakeAgent.online(core.url, probeToken, {
  autoAck: true,
  autoHeartbeat: true,
  hello: { instanceId: "probe", capacity: { maxSessions: 1_000_000, runningSessions: 0 } },
})
probe.capacity = { maxSessions: 1_000_000, runningSessions: 0 }
/** When each session's command reached the probe (same clock as the requests). */
const arrivals = new Map<string, number>()
probe.ws.addEventListener("message", (e) => {
  if (typeof e.data !== "string") return
  const m = JSON.parse(e.data) as { type: string; commandId: string; sessionId?: string; action: string }
  if (m.type !== "command") return
  if (m.sessionId) arrivals.set(m.sessionId, performance.now())
  const state = m.action === "session.stop" ? "stopped" : "running"
  probe.send({ type: "command.result", commandId: m.commandId, result: { sessionId: m.sessionId, state } })
})

interface Trips {
  /** The hub's round trip: the command issued (its row inserted) → the agent's result recorded (the row completed). */
  hub: number[]
  /** POST → running. */
  total: number[]
  /** POST sent → session.start at the agent (the request, placement, the command's delivery). */
  out: number[]
  /** The agent's result sent → the session reads `running` (result applied; polled every 2 ms). */
  back: number[]
}

/** POST → running, timed in two halves; the row is polled every 2 ms (that is the resolution). */
async function roundTrips(n: number): Promise<Trips> {
  const trips: Trips = { hub: [], total: [], out: [], back: [] }
  const ids: string[] = []
  for (let i = 0; i < n; i++) {
    const t = performance.now()
    const res = await call("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId: template[0]?.id }) })
    const { id } = (await res.json()) as { id: string }
    for (;;) {
      const s = (await (await call(`/api/v1/sessions/${id}`)).json()) as { state: string }
      if (s.state === "running") break
      if (s.state === "failed") throw new Error("a bench session failed")
      await Bun.sleep(2)
    }
    const done = performance.now()
    ids.push(id)
    const arrived = arrivals.get(id) ?? Number.NaN
    trips.total.push(done - t)
    trips.out.push(arrived - t)
    trips.back.push(done - arrived)
  }
  // Both timestamps are the database's clock (now() of the inserting and of the completing statement).
  const reader = await database.open()
  const rows = await reader.sql<{ ms: number }[]>`select (extract(epoch from completed_at - created_at) * 1000)::float8 as ms
    from agent_commands where session_id = any(${ids}::uuid[]) and action = 'session.start' and state = 'succeeded'`
  await reader.close()
  if (rows.length !== n) throw new Error(`${rows.length} of ${n} start commands succeeded`)
  trips.hub = rows.map((r) => r.ms)
  for (const xs of Object.values(trips)) xs.sort((a: number, b: number) => a - b)
  return trips
}

const load0 = loadavg()[0] as number
await roundTrips(20)
const baseline = await roundTrips(COMMANDS)
await Bun.sleep(2_000)
const idleRss = await rssMiB(pid)
let cpu0 = cpuSeconds(pid)
await Bun.sleep(10_000)
const idleCpu = (cpuSeconds(pid) - cpu0) / 10

const sims = Bun.spawn(["bun", join(import.meta.dir, "hub-agents.ts"), core.url, tokensFile], {
  stdout: "pipe",
  stderr: "inherit",
})
const reader = sims.stdout.getReader()
const connectStart = performance.now()
const first = new TextDecoder().decode((await reader.read()).value)
if (!first.startsWith("connected")) throw new Error(`the simulated agents did not connect: ${first}`)
const connectS = (performance.now() - connectStart) / 1000
// A full heartbeat round, so every agent's state has been through the hub at least once.
await Bun.sleep(HEARTBEAT_MS + 2_000)
cpu0 = cpuSeconds(pid)
await Bun.sleep(CPU_WINDOW_S * 1000)
const heartbeatCpu = (cpuSeconds(pid) - cpu0) / CPU_WINDOW_S
const loadedRss = await rssMiB(pid)
const loaded = await roundTrips(COMMANDS)
const load1 = loadavg()[0] as number

console.log(`\n### bench:hub — ${new Date().toISOString().slice(0, 10)}\n`)
console.log(
  `One replica (PostgreSQL + Redis), ${AGENTS.toLocaleString("en-US")} simulated agents in a separate process (connected in ${connectS.toFixed(1)} s), heartbeat every ${HEARTBEAT_MS / 1000} s, ${COMMANDS} serial commands; load average ${load0.toFixed(1)} → ${load1.toFixed(1)} on 2 cores.\n`,
)
console.log("| what | with the agents | no other agent (same run) | ratio | goal |")
console.log("|---|---|---|---|---|")
console.log(
  `| RSS | ${loadedRss.toFixed(0)} MiB (+${(loadedRss - idleRss).toFixed(0)} MiB) | ${idleRss.toFixed(0)} MiB | — | ≤ +200 MB |`,
)
console.log(
  `| CPU of the control plane | ${(heartbeatCpu * 100).toFixed(1)} % of a core | ${(idleCpu * 100).toFixed(1)} % | — | ≤ 10 % |`,
)
const rows = [
  ["command round trip, the hub's (command issued → result recorded)", "hub"],
  ["command round trip, the user's (POST → running)", "total"],
  ["… POST → command at the agent", "out"],
  ["… result → applied (`running`)", "back"],
] as const
for (const [label, part] of rows)
  for (const [name, p] of [
    ["p50", 0.5],
    ["p99", 0.99],
  ] as const)
    console.log(
      `| ${label} ${name} | ${pct(loaded[part], p).toFixed(1)} ms | ${pct(baseline[part], p).toFixed(1)} ms | ${(pct(loaded[part], p) / pct(baseline[part], p)).toFixed(2)} | ${name === "p99" && part === "hub" ? "≤ 20 ms" : "—"} |`,
    )

sims.kill()
await probe.close()
await core.stop("SIGTERM")
await redis.close()
await database.remove()
