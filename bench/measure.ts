// Latency and throughput of async calls: serial and N-concurrent runs, interleaved over rounds, medians kept.
export type Call = () => Promise<unknown>
export interface Figures {
  p50: number
  p99: number
  perSecond: number
}
export interface Plan {
  serial: number
  concurrency: number
  concurrentTotal: number
  warmup: number
  rounds: number
}
export interface Result {
  name: string
  serial: Figures
  concurrent: Figures
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? Number.NaN

async function serial(call: Call, count: number): Promise<Figures> {
  const took: number[] = []
  const started = performance.now()
  for (let i = 0; i < count; i++) {
    const t = performance.now()
    await call()
    took.push(performance.now() - t)
  }
  const elapsed = performance.now() - started
  took.sort((a, b) => a - b)
  return { p50: percentile(took, 0.5), p99: percentile(took, 0.99), perSecond: (count / elapsed) * 1000 }
}

async function concurrent(call: Call, concurrency: number, total: number): Promise<Figures> {
  const took: number[] = []
  let left = total
  const worker = async () => {
    while (left-- > 0) {
      const t = performance.now()
      await call()
      took.push(performance.now() - t)
    }
  }
  const started = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  const elapsed = performance.now() - started
  took.sort((a, b) => a - b)
  return { p50: percentile(took, 0.5), p99: percentile(took, 0.99), perSecond: (total / elapsed) * 1000 }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
const medianFigures = (runs: Figures[]): Figures => ({
  p50: median(runs.map((r) => r.p50)),
  p99: median(runs.map((r) => r.p99)),
  perSecond: median(runs.map((r) => r.perSecond)),
})

/** Warms every case up, then runs them in turn `rounds` times (so noise hits all alike) and keeps each figure's median. */
export async function measureAll(cases: [name: string, call: Call][], plan: Plan): Promise<Result[]> {
  for (const [, call] of cases) for (let i = 0; i < plan.warmup; i++) await call()
  const runs = cases.map(() => ({ serial: [] as Figures[], concurrent: [] as Figures[] }))
  for (let round = 0; round < plan.rounds; round++) {
    for (const [i, [, call]] of cases.entries()) {
      runs[i]?.serial.push(await serial(call, plan.serial))
      runs[i]?.concurrent.push(await concurrent(call, plan.concurrency, plan.concurrentTotal))
    }
  }
  return cases.map(([name], i) => ({
    name,
    serial: medianFigures(runs[i]?.serial ?? []),
    concurrent: medianFigures(runs[i]?.concurrent ?? []),
  }))
}

const ms = (n: number) => `${n.toFixed(3)} ms`

/** One line per case; the ratio column compares with the first case. */
export function printTable(results: Result[], concurrency: number): void {
  const base = results[0]
  console.log(
    `case | serial p50 | serial p99 | serial calls/s | ${concurrency}-conc p50 | ${concurrency}-conc p99 | ${concurrency}-conc calls/s | ratio to first (serial p50, conc calls/s)`,
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
        base
          ? `${(r.serial.p50 / base.serial.p50).toFixed(2)}x, ${(r.concurrent.perSecond / base.concurrent.perSecond).toFixed(2)}x`
          : "",
      ].join(" | "),
    )
  }
}
