// RFB workloads for the VNC benchmark: full-frame throughput and small-update latency, N viewers at once.
import type { RfbClient } from "../agents/runtime/src/vnc/rfb-client.ts"

export interface ThroughputResult {
  seconds: number
  updates: number
  bytes: number
  /** Bytes each viewer received, to judge fairness. */
  perViewer: number[]
}

/** Every viewer asks for the whole screen (non-incremental), reads it, asks again, for `seconds`. */
export async function fullFrames(viewers: RfbClient[], seconds: number): Promise<ThroughputResult> {
  const until = performance.now() + seconds * 1000
  const start = performance.now()
  const perViewer = viewers.map(() => 0)
  let updates = 0
  await Promise.all(
    viewers.map(async (v, i) => {
      while (performance.now() < until) {
        const u = await v.update(false)
        updates++
        perViewer[i] = (perViewer[i] as number) + u.bytes
      }
    }),
  )
  const elapsed = (performance.now() - start) / 1000
  return { seconds: elapsed, updates, bytes: perViewer.reduce((a, b) => a + b, 0), perViewer }
}

/** Request → complete update time of a small region, `samples` per viewer; milliseconds, sorted. */
export async function smallUpdateLatency(viewers: RfbClient[], samples: number): Promise<number[]> {
  const all: number[] = []
  await Promise.all(
    viewers.map(async (v) => {
      for (let i = 0; i < samples; i++) {
        const t = performance.now()
        await v.update(false, 0, 0, 64, 64)
        all.push(performance.now() - t)
      }
    }),
  )
  return all.sort((a, b) => a - b)
}

export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
