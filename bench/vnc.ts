// `bun run bench:vnc`: framebuffer updates/s, MB/s, request → update latency and relay CPU per 100 MB
// over one desktop through direct TCP, Debian's websockify and StreamSpace's path, 1 and 20 viewers.
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { RfbClient } from "../agents/runtime/src/vnc/rfb-client.ts"
import { type CpuUse, cpuUse, rssBytes } from "./proc-cpu.ts"
import { fullFrames, percentile, smallUpdateLatency } from "./rfb-load.ts"
import { directPath, streamspacePath, type VncPath, websockifyPath } from "./vnc-paths.ts"
import { startVncStack } from "./vnc-stack.ts"

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? (process.argv[i + 1] ?? fallback) : fallback
}
const SECONDS = Number(arg("seconds", "6"))
const VIEWER_COUNTS = arg("viewers", "1,20").split(",").map(Number)
const LATENCY_SAMPLES = Number(arg("samples", "200"))
const ROUNDS = Number(arg("rounds", "3"))
/** e.g. `--paths streamspace` while profiling the relays; ratios need all three. */
const PATHS = arg("paths", "direct TCP,websockify,streamspace").split(",")

interface Row {
  viewers: number
  path: string
  updatesPerSecond: number
  mbPerSecond: number
  p50: number
  p99: number
  /** Relay CPU seconds per 100 MB moved, by relay process (user + system; processes counted). */
  cpuPer100MB: Record<string, CpuUse & { total: number }>
  /** Slowest and fastest viewer's bytes as a share of the mean. */
  fairness: [number, number]
}

interface Totals {
  seconds: number
  updates: number
  bytes: number
  perViewer: number[]
  /** CPU used by each relay process while it moved those bytes. */
  cpu: CpuUse[]
}

const NO_CPU: CpuUse = { user: 0, system: 0, minorFaults: 0, processes: 0 }
const delta = (a: CpuUse, b: CpuUse): CpuUse => ({
  user: a.user - b.user,
  system: a.system - b.system,
  minorFaults: a.minorFaults - b.minorFaults,
  processes: a.processes,
})
const plus = (a: CpuUse, b: CpuUse): CpuUse => ({
  user: a.user + b.user,
  system: a.system + b.system,
  minorFaults: a.minorFaults + b.minorFaults,
  processes: b.processes,
})

/** One round of full-frame throughput on one path, added to its totals. */
async function round(path: VncPath, clients: RfbClient[], seconds: number, into: Totals): Promise<void> {
  const before = path.relays.map((r) => cpuUse(r.pid))
  const t = await fullFrames(clients, seconds)
  const after = path.relays.map((r) => cpuUse(r.pid))
  into.seconds += t.seconds
  into.updates += t.updates
  into.bytes += t.bytes
  t.perViewer.forEach((b, i) => {
    into.perViewer[i] = (into.perViewer[i] ?? 0) + b
  })
  into.cpu = path.relays.map((_, i) => plus(into.cpu[i] ?? NO_CPU, delta(after[i] as CpuUse, before[i] as CpuUse)))
}

function row(path: VncPath, viewers: number, t: Totals, lat: number[]): Row {
  const mean = t.bytes / viewers
  const per100MB = (n: number) => (n / t.bytes) * 100e6
  const cpuPer100MB = Object.fromEntries(
    path.relays.map((r, i) => {
      const c = t.cpu[i] as CpuUse
      const [user, system] = [per100MB(c.user), per100MB(c.system)]
      return [r.name, { user, system, total: user + system, minorFaults: per100MB(c.minorFaults), processes: c.processes }]
    }),
  )
  return {
    viewers,
    path: path.name,
    updatesPerSecond: t.updates / t.seconds,
    mbPerSecond: t.bytes / t.seconds / 1e6,
    p50: percentile(lat, 50),
    p99: percentile(lat, 99),
    cpuPer100MB,
    fairness: [Math.min(...t.perViewer) / mean, Math.max(...t.perViewer) / mean],
  }
}

/**
 * All paths get the same viewers and the same time, in interleaved rounds (the order rotating each
 * round): on a shared, busy machine load comes and goes, and every path then meets the same mix.
 */
async function measure(paths: VncPath[], viewers: number): Promise<Row[]> {
  const clients: RfbClient[][] = []
  for (const path of paths) {
    const mine: RfbClient[] = []
    for (let i = 0; i < viewers; i++) mine.push(await path.open())
    await Promise.all(mine.map((c) => c.update(false))) // warm up
    clients.push(mine)
  }
  const totals: Totals[] = paths.map(() => ({ seconds: 0, updates: 0, bytes: 0, perViewer: [], cpu: [] }))
  for (let r = 0; r < ROUNDS; r++)
    for (let k = 0; k < paths.length; k++) {
      const i = (k + r) % paths.length
      await round(paths[i] as VncPath, clients[i] as RfbClient[], SECONDS / ROUNDS, totals[i] as Totals)
    }
  const rows: Row[] = []
  for (const [i, path] of paths.entries()) {
    const lat = await smallUpdateLatency(clients[i] as RfbClient[], Math.max(20, Math.round(LATENCY_SAMPLES / viewers)))
    rows.push(row(path, viewers, totals[i] as Totals, lat))
    for (const c of clients[i] as RfbClient[]) c.close()
  }
  return rows
}

const f = (n: number, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : "–")

function report(rows: Row[]): string {
  const lines = [
    "| viewers | path | updates/s | MB/s | p50 ms | p99 ms | relay CPU s / 100 MB | per-viewer share of mean |",
    "|---:|---|---:|---:|---:|---:|---|---|",
  ]
  for (const r of rows) {
    const cpu =
      Object.entries(r.cpuPer100MB)
        .map(
          ([k, v]) =>
            `${k} ${f(v.total, 3)} (user ${f(v.user, 3)}, sys ${f(v.system, 3)}; ${f(v.minorFaults, 0)} faults; ${v.processes} proc)`,
        )
        .join(", ") || "–"
    lines.push(
      `| ${r.viewers} | ${r.path} | ${f(r.updatesPerSecond)} | ${f(r.mbPerSecond)} | ${f(r.p50, 2)} | ${f(r.p99, 2)} | ${cpu} | ${f(r.fairness[0], 2)}–${f(r.fairness[1], 2)} |`,
    )
  }
  for (const n of VIEWER_COUNTS) {
    const at = (name: string) => rows.find((r) => r.viewers === n && r.path === name)
    const [direct, ws, ours] = [at("direct TCP"), at("websockify"), at("streamspace")]
    if (!direct || !ws || !ours) continue
    const cpu = (r: Row) => Object.values(r.cpuPer100MB).reduce((a, b) => a + b.total, 0)
    lines.push(
      "",
      `${n} viewer(s): streamspace/websockify throughput ${f(ours.mbPerSecond / ws.mbPerSecond, 2)}×, ` +
        `relay CPU per MB ${f(cpu(ours) / cpu(ws), 2)}× websockify's, ` +
        `added p50 over direct ${f(ours.p50 - direct.p50, 2)} ms (websockify ${f(ws.p50 - direct.p50, 2)} ms)`,
    )
  }
  return lines.join("\n")
}

console.error("starting the control plane, a Docker agent and one desktop session…")
// e.g. BENCH_BUN_FLAGS="--cpu-prof-md --cpu-prof-dir=/tmp/prof" profiles the control plane and the agent.
const stack = await startVncStack(process.env.BENCH_BUN_FLAGS?.split(" ").filter(Boolean) ?? [])
const paths: VncPath[] = []
try {
  const owner = await stack.user("bench-owner")
  const session = await stack.launch(owner)
  if (PATHS.includes("direct TCP")) paths.push(directPath(session.target))
  if (PATHS.includes("websockify")) paths.push(await websockifyPath(session.target, 16_080))
  if (PATHS.includes("streamspace")) paths.push(streamspacePath(stack, owner, session.id))
  const rows: Row[] = []
  for (const n of VIEWER_COUNTS) {
    console.error(`measuring ${paths.map((p) => p.name).join(", ")} with ${n} viewer(s), ${ROUNDS} interleaved rounds…`)
    rows.push(...(await measure(paths, n)))
  }
  // Memory the relays hold after the runs: what keeping idle allocator pages (MIMALLOC_PURGE_DELAY) costs.
  const rss = paths.flatMap((p) => p.relays).map((r) => `${r.name} ${f(rssBytes(r.pid) / 1e6, 0)} MB`)
  const text = `${report(rows)}\n\nrelay resident memory after the runs: ${rss.join(", ")}`
  console.log(text)
  const out = join(import.meta.dir, "..", "artifacts", "bench")
  mkdirSync(out, { recursive: true })
  writeFileSync(
    join(out, "vnc.json"),
    JSON.stringify({ at: new Date().toISOString(), seconds: SECONDS, rounds: ROUNDS, rows }, null, 2),
  )
} finally {
  for (const p of paths) await p.stop()
  await stack.close()
}
