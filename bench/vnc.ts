// `bun run bench:vnc`: framebuffer updates/s, MB/s, request → update latency and relay CPU per 100 MB
// over one desktop through direct TCP, Debian's websockify and StreamSpace's path, 1 and 20 viewers.
import { mkdirSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import type { RfbClient } from "../agents/runtime/src/vnc/rfb-client.ts"
import { type CpuUse, cpuUse } from "./proc-cpu.ts"
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

async function measure(path: VncPath, viewers: number): Promise<Row> {
  const clients: RfbClient[] = []
  for (let i = 0; i < viewers; i++) clients.push(await path.open())
  await Promise.all(clients.map((c) => c.update(false))) // warm up
  const cpuBefore = path.relays.map((r) => cpuUse(r.pid))
  const t = await fullFrames(clients, SECONDS)
  const cpuAfter = path.relays.map((r) => cpuUse(r.pid))
  const lat = await smallUpdateLatency(clients, Math.max(20, Math.round(LATENCY_SAMPLES / viewers)))
  for (const c of clients) c.close()
  const mean = t.bytes / viewers
  const per100MB = (seconds: number) => (seconds / t.bytes) * 100e6
  const cpuPer100MB = Object.fromEntries(
    path.relays.map((r, i) => {
      const [a, b] = [cpuAfter[i] as CpuUse, cpuBefore[i] as CpuUse]
      const [user, system] = [per100MB(a.user - b.user), per100MB(a.system - b.system)]
      const minorFaults = per100MB(a.minorFaults - b.minorFaults)
      return [r.name, { user, system, total: user + system, minorFaults, processes: a.processes }]
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
  paths.push(directPath(session.target))
  paths.push(await websockifyPath(session.target, 16_080))
  paths.push(streamspacePath(stack, owner, session.id))
  const rows: Row[] = []
  for (const n of VIEWER_COUNTS)
    for (const path of paths) {
      console.error(`measuring ${path.name} with ${n} viewer(s)…`)
      rows.push(await measure(path, n))
    }
  const text = report(rows)
  console.log(text)
  const out = join(import.meta.dir, "..", "artifacts", "bench")
  mkdirSync(out, { recursive: true })
  writeFileSync(join(out, "vnc.json"), JSON.stringify({ at: new Date().toISOString(), seconds: SECONDS, rows }, null, 2))
} finally {
  for (const p of paths) await p.stop()
  await stack.close()
}
