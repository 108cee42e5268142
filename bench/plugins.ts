// bun run bench:plugins — hook round trip core → runtime → isolate → core, beside a bare Bun↔Node IPC echo.
import { join } from "node:path"
import { type Call, measureAll, printTable } from "./measure.ts"
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
const results = await measureAll(
  [
    ["baseline: Bun→Node IPC echo (no isolate, no checks)", echo.call],
    ["hook round trip (decision only)", expectPlugin("decide")],
    ["hook round trip + 1 host call (sessions.usage, permission-checked)", expectPlugin("quota")],
  ],
  { serial: SERIAL, concurrency: CONCURRENT, concurrentTotal: CONCURRENT_TOTAL, warmup: WARMUP, rounds: ROUNDS },
)
echo.stop()
const stats = await supervisor.stats()
await supervisor.stop()

console.log(
  `plugin hook benchmark — ${SERIAL} serial calls, ${CONCURRENT_TOTAL} calls at ${CONCURRENT} concurrent, median of ${ROUNDS} rounds (Bun ${Bun.version})`,
)
printTable(results, CONCURRENT)
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
