// bun run bench:plugins — hook round trip core → runtime → isolate → core, beside a bare Bun↔Node IPC echo.
import { cpus, loadavg } from "node:os"
import { join } from "node:path"
import { InMemoryHostApi, PluginSupervisor } from "../plugins/runtime/src/host/index.ts"
import {
  ALICE,
  beforeCreateInput,
  hookBundle,
  install,
  QUOTA_BUNDLE,
  runningSession,
} from "../plugins/runtime/src/host/test-fixtures.ts"

const SERIAL = 5000
const CONCURRENT = 50
const CONCURRENT_TOTAL = 50_000
const WARMUP = 10_000
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)

type Call = () => Promise<unknown>
interface Figures {
  p50: number
  p99: number
  perSecond: number
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN

async function serial(call: Call): Promise<Figures> {
  const took: number[] = []
  const started = performance.now()
  for (let i = 0; i < SERIAL; i++) {
    const t = performance.now()
    await call()
    took.push(performance.now() - t)
  }
  const elapsed = performance.now() - started
  took.sort((a, b) => a - b)
  return { p50: percentile(took, 0.5), p99: percentile(took, 0.99), perSecond: (SERIAL / elapsed) * 1000 }
}

async function concurrent(call: Call): Promise<Figures> {
  const took: number[] = []
  let left = CONCURRENT_TOTAL
  const worker = async () => {
    while (left-- > 0) {
      const t = performance.now()
      await call()
      took.push(performance.now() - t)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: CONCURRENT }, worker))
  const elapsed = performance.now() - started
  took.sort((a, b) => a - b)
  return { p50: percentile(took, 0.5), p99: percentile(took, 0.99), perSecond: (CONCURRENT_TOTAL / elapsed) * 1000 }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
const medianFigures = (runs: Figures[]): Figures => ({
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  perSecond: median(runs.map((r) => r.perSecond)),
})

/** Warms every case up, then runs them in turn ROUNDS times (so noise hits all alike) and keeps each figure's median. */
async function measureAll(cases: [name: string, call: Call][]) {
  for (const [, call] of cases) for (let i = 0; i < WARMUP; i++) await call()
  const runs = cases.map(() => ({ serial: [] as Figures[], concurrent: [] as Figures[] }))
  for (let round = 0; round < ROUNDS; round++) {
    for (const [i, [, call]] of cases.entries()) {
      runs[i]?.serial.push(await serial(call))
      runs[i]?.concurrent.push(await concurrent(call))
    }
  }
  return cases.map(([name], i) => ({
    name,
    serial: medianFigures(runs[i]?.serial ?? []),
    concurrent: medianFigures(runs[i]?.concurrent ?? []),
  }))
}

/** Bare Bun → Node IPC (JSON) echo: what the transport alone costs. */
async function ipcEcho(): Promise<{ call: Call; stop(): void }> {
  const waiting = new Map<number, () => void>()
  let hello!: () => void
  const ready = new Promise<void>((resolve) => (hello = resolve))
  const child = Bun.spawn({
    cmd: ["node", join(import.meta.dir, "plugins-echo-node.mjs")],
    stdio: ["ignore", "inherit", "inherit"],
    serialization: "json",
    ipc(message: { type: string; id?: number }) {
      if (message.type === "hello") return hello()
      const done = waiting.get(message.id ?? 0)
      waiting.delete(message.id ?? 0)
      done?.()
    },
  })
  await ready
  let next = 1
  const input = beforeCreateInput()
  const call = () =>
    new Promise<void>((resolve) => {
      const id = next++
      waiting.set(id, resolve)
      child.send({ type: "callHook", id, installId: "echo", hook: "session.beforeCreate", input, timeoutMs: 1000 })
    })
  return { call, stop: () => child.kill() }
}

const host = new InMemoryHostApi({ users: [ALICE], sessions: [runningSession(1)] })
const supervisor = new PluginSupervisor({ host })
await supervisor.start()
// A generous deadline: this measures throughput; a busy machine must not turn into timeouts.
const limits = { memoryMb: 32, hookTimeoutMs: 2000 }
await supervisor.install(install("decide", hookBundle(`({ user }) => ({ allow: user.role !== "guest" })`), { limits }))
await supervisor.install(install("quota", QUOTA_BUNDLE, { permissions: { sessions: "read" }, limits }, { maxSessions: 5 }))
const input = beforeCreateInput()
const expectPlugin = (installId: string) => async () => {
  const outcome = await supervisor.callHook("session.beforeCreate", installId, input)
  if (outcome.decidedBy !== "plugin") throw new Error(`${installId} did not answer: ${JSON.stringify(outcome.error)}`)
}

const echo = await ipcEcho()
const results = await measureAll([
  ["baseline: Bun→Node IPC echo (no isolate, no checks)", echo.call],
  ["hook round trip (decision only)", expectPlugin("decide")],
  ["hook round trip + 1 host call (sessions.usage, permission-checked)", expectPlugin("quota")],
])
echo.stop()
const stats = await supervisor.stats()
await supervisor.stop()

const ms = (n: number) => `${n.toFixed(3)} ms`
const base = results[0] as (typeof results)[number]
console.log(
  `plugin hook benchmark — ${SERIAL} serial calls, ${CONCURRENT_TOTAL} calls at ${CONCURRENT} concurrent, median of ${ROUNDS} rounds (Bun ${Bun.version})`,
)
console.log(
  "case | serial p50 | serial p99 | serial calls/s | 50-conc p50 | 50-conc p99 | 50-conc calls/s | ratio to baseline (serial p50, conc calls/s)",
)
for (const r of results) {
  console.log(
    [
      r.name,
      ms(r.serial.p50),
      ms(r.serial.p99),
      Math.round(r.serial.perSecond),
      ms(r.concurrent.p50),
      ms(r.concurrent.p99),
      Math.round(r.concurrent.perSecond),
      `${(r.serial.p50 / base.serial.p50).toFixed(2)}x, ${(r.concurrent.perSecond / base.concurrent.perSecond).toFixed(2)}x`,
    ].join(" | "),
  )
}
const hook = results[1] as (typeof results)[number]
const goals = [
  ["serial p50 ≤ 0.3 ms", hook.serial.p50 <= 0.3],
  ["serial p99 ≤ 1 ms", hook.serial.p99 <= 1],
  ["≥ 20,000 calls/s at 50 concurrent", hook.concurrent.perSecond >= 20_000],
] as const
for (const [goal, met] of goals) console.log(`goal ${goal}: ${met ? "met" : "MISSED"}`)
console.log(
  `isolate CPU time: ${stats.installs.map((s) => `${s.installId} ${(s.cpuTimeUs / 1000).toFixed(0)} ms over ${s.calls} calls`).join(", ")}`,
)
