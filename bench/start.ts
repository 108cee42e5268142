// bun run bench:start — POST /api/v1/sessions → `running` (the VNC server answers) through the real
// control plane and Docker agent processes, beside a raw Docker start → RFB banner of the same image
// (plain, and with the session's isolation) in the same run, 1 and 10 at a time; then the agent's and
// the control plane's RSS at 0, 10 and 50 running sessions. Prints Markdown for BENCHMARKS.md.
import { mkdtempSync, readFileSync } from "node:fs"
import { loadavg, tmpdir } from "node:os"
import { join } from "node:path"
import type { Session } from "../schemas/src/index.ts"
import { readRfbBanner } from "../agents/docker/src/rfb-banner.ts"
import { containerCreateOptions } from "../agents/docker/src/container-spec.ts"
import { docker, sessionSpec } from "../agents/docker/src/test-support.ts"
import { startAgentProcess } from "../core/src/testing/agent-process.ts"
import { processControlPlane } from "../core/src/testing/core-process.ts"
import { testBackend } from "../core/src/testing/test-database.ts"
import { ensureDesktopImage } from "../images/desktop-image.ts"

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const BATCH = 10
const RSS_AT = [0, 10, 50]
const run = crypto.randomUUID().slice(0, 8)
const agentName = `bench-start-${run}`

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
const fmt = (ms: number) => `${Math.round(ms).toLocaleString("en-US")} ms`
const rssMiB = (pid: number) => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024
/** The control plane with its plugin runtime child. */
const treeRssMiB = (pid: number): number =>
  rssMiB(pid) +
  readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8")
    .split(" ")
    .filter(Boolean)
    .reduce((sum, child) => sum + treeRssMiB(Number(child)), 0)

async function untilBanner(host: string) {
  for (;;) {
    try {
      return void (await readRfbBanner(host, 5900, 1000))
    } catch {
      await Bun.sleep(10)
    }
  }
}

// ---- the baseline: the Docker API directly (what `docker run -d` does, without the CLI's own start-up) ----

const { image } = await ensureDesktopImage()

async function timedStart(options: CreateOptions): Promise<number> {
  const started = performance.now()
  const container = await docker.createContainer(options)
  await container.start()
  const info = await container.inspect()
  await untilBanner(Object.values(info.NetworkSettings.Networks)[0]?.IPAddress ?? "")
  return performance.now() - started
}

/** `docker run -d` of the image as it comes: default bridge, no limits, no volume. */
const rawStart = () => timedStart({ Image: image, Env: ["VNC_PASSWORD=bench123"], Labels: { "streamspace.bench": run } })

type CreateOptions = Parameters<typeof docker.createContainer>[0]
const benchUser = crypto.randomUUID()
/**
 * The same container the agent makes (the driver's own create options: the isolated session
 * network, CPU/memory/PID limits, dropped capabilities, the home volume), started straight
 * through the Docker API: what the product takes beyond this is ours, not Docker's.
 */
const rawSameStart = () => {
  const spec = sessionSpec(image, { userId: benchUser, resources: { cpu: 0.5, memory: 256 } })
  const options = containerCreateOptions(spec, {
    agentName: `${agentName}-raw`,
    network: "streamspace-sessions",
    vncPassword: "bench123",
    pidsLimit: 512,
  })
  return timedStart({ ...options, Labels: { ...options.Labels, "streamspace.bench": run } })
}

// ---- the product: real control plane + real Docker agent ----

const cp = await processControlPlane({ AGENT_HEARTBEAT_INTERVAL_MS: "1000", AGENT_COMMAND_TIMEOUT_MS: "120000" })
const template = await cp.desktopTemplate(`bench-${run}`, image, {
  displayName: "Bench desktop",
  category: "Bench",
  resources: { cpu: 0.5, memory: 256 },
})
const registered = await cp.registerAgent(agentName)
const agent = startAgentProcess({
  STREAMSPACE_URLS: cp.core.url,
  STREAMSPACE_AGENT_TOKEN: registered.token,
  AGENT_NAME: agentName,
  AGENT_MAX_SESSIONS: "100",
  AGENT_SECRET_FILE: join(mkdtempSync(join(tmpdir(), "bench-agent-")), "secret"),
  LOG_LEVEL: "warn",
})
for (let i = 0; ; i++) {
  const a = await cp.call<{ status: string }>(`/api/v1/agents/${registered.id}`)
  if (a.status === "online") break
  if (i > 600) throw new Error(`the agent did not come online:\n${agent.lines.join("\n")}`)
  await Bun.sleep(50)
}

/** From the POST to the first read that says `running`; the agent reports it once the RFB banner answered. */
async function productStart(): Promise<number> {
  const started = performance.now()
  const s = await cp.call<Session>("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId: template.id }) })
  for (;;) {
    const now = await cp.call<Session>(`/api/v1/sessions/${s.id}`)
    if (now.state === "running") return performance.now() - started
    if (now.state === "failed") throw new Error(`session failed: ${now.reason}`)
    await Bun.sleep(5)
  }
}

async function stopAll() {
  const { items } = await cp.call<{ items: Session[] }>("/api/v1/sessions?limit=200")
  await Promise.all(
    items
      .filter((s) => s.state === "running")
      .map((s) => cp.call(`/api/v1/sessions/${s.id}`, { method: "DELETE" }).catch(() => undefined)),
  )
  for (const c of await docker.listContainers({ all: true, filters: { label: [`streamspace.bench=${run}`] } }))
    await docker.getContainer(c.Id).remove({ force: true })
  for (let i = 0; i < 600; i++) {
    const left = await docker.listContainers({ all: true, filters: { label: [`streamspace.agent=${agentName}`] } })
    if (left.length === 0) return
    await Bun.sleep(100)
  }
}

const load0 = loadavg()
const rows: { what: string; raw: number[]; same: number[]; ours: number[] }[] = []
try {
  // Warm-up outside the figures: the session network, the home volume, the image in the page cache.
  await productStart()
  await rawStart()
  await rawSameStart()
  await stopAll()

  const one = { what: "1 at a time", raw: [] as number[], same: [] as number[], ours: [] as number[] }
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, so load from elsewhere on the machine hits all three alike.
    one.raw.push(await rawStart())
    one.same.push(await rawSameStart())
    one.ours.push(await productStart())
    await stopAll()
  }
  rows.push(one)

  const ten = { what: `${BATCH} at once`, raw: [] as number[], same: [] as number[], ours: [] as number[] }
  for (let i = 0; i < 2; i++) {
    ten.raw.push(...(await Promise.all(Array.from({ length: BATCH }, rawStart))))
    await stopAll()
    ten.same.push(...(await Promise.all(Array.from({ length: BATCH }, rawSameStart))))
    await stopAll()
    ten.ours.push(...(await Promise.all(Array.from({ length: BATCH }, productStart))))
    await stopAll()
  }
  rows.push(ten)

  // Memory with sessions running.
  const memory: { sessions: number; agent: number; core: number }[] = []
  let running = 0
  for (const target of RSS_AT) {
    while (running < target) {
      const n = Math.min(BATCH, target - running)
      await Promise.all(Array.from({ length: n }, productStart))
      running += n
    }
    await Bun.sleep(3000)
    memory.push({ sessions: target, agent: rssMiB(agent.proc.pid), core: treeRssMiB(cp.core.proc.pid) })
  }

  const load1 = loadavg()
  console.log(`### Session start (${testBackend()}, ${ROUNDS} rounds at 1, 2 × ${BATCH} at once)\n`)
  console.log(
    "| how many | raw Docker, plain | raw Docker, same isolation | POST → running | over plain | over same isolation | ratio to same |",
  )
  console.log("|---|---:|---:|---:|---:|---:|---:|")
  for (const r of rows) {
    const [raw, same, ours] = [median(r.raw), median(r.same), median(r.ours)]
    console.log(
      `| ${r.what} | ${fmt(raw)} | ${fmt(same)} | ${fmt(ours)} | ${fmt(ours - raw)} | ${fmt(ours - same)} | ${(ours / same).toFixed(2)}× |`,
    )
  }
  console.log("\n| running sessions | Docker agent RSS | control plane RSS (with plugin runtime) |\n|---:|---:|---:|")
  for (const m of memory) console.log(`| ${m.sessions} | ${m.agent.toFixed(0)} MiB | ${m.core.toFixed(0)} MiB |`)
  const first = rows[0] ?? { raw: [], same: [], ours: [] }
  for (const [base, xs] of [
    ["plain raw Docker", first.raw],
    ["raw Docker with the same isolation", first.same],
  ] as const) {
    const overhead = median(first.ours) - median(xs)
    console.log(
      `Goal: median overhead ≤ 150 ms one at a time, over ${base}: ${fmt(overhead)} — ${overhead <= 150 ? "met" : "**missed**"}`,
    )
  }
  console.log(
    `load average before ${load0.map((l) => l.toFixed(2)).join(" ")}, after ${load1.map((l) => l.toFixed(2)).join(" ")}`,
  )
} finally {
  await stopAll().catch(() => undefined)
  await agent.kill("SIGTERM")
  await cp.close()
  for (const v of (await docker.listVolumes({ filters: { label: [`streamspace.agent=${agentName}`] } })).Volumes ?? [])
    await docker
      .getVolume(v.Name)
      .remove({ force: true })
      .catch(() => undefined)
}
