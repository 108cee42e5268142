// Runs Debian's wrk against a URL and reads its report: requests per second, p50/p99 latency, errors.
import { join } from "node:path"

export interface LoadFigures {
  perSecond: number
  p50Ms: number
  p99Ms: number
  /** Responses outside 2xx/3xx, as wrk counts them. */
  non2xx: number
  socketErrors: number
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 }

const latencyMs = (report: string, percentile: string): number => {
  const m = new RegExp(`^\\s*${percentile}%\\s+([\\d.]+)(us|ms|s|m)\\s*$`, "m").exec(report)
  if (!m) throw new Error(`wrk printed no ${percentile}% latency:\n${report}`)
  return Number(m[1]) * (UNIT_MS[m[2] as string] ?? Number.NaN)
}

export function parseWrk(report: string): LoadFigures {
  const perSecond = Number(/^Requests\/sec:\s+([\d.]+)/m.exec(report)?.[1] ?? Number.NaN)
  if (Number.isNaN(perSecond)) throw new Error(`wrk printed no Requests/sec:\n${report}`)
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(report)
  return {
    perSecond,
    p50Ms: latencyMs(report, "50"),
    p99Ms: latencyMs(report, "99"),
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(report)?.[1] ?? 0),
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  }
}

export interface WrkRun {
  url: string
  connections: number
  seconds: number
  headers?: Record<string, string>
  /** A Lua script next to this file, e.g. invalid-post.lua. */
  script?: string
}

/** wrk in its own process, two threads (its default), latency percentiles on. */
export async function wrk(run: WrkRun): Promise<LoadFigures> {
  const args = ["wrk", "-t2", `-c${run.connections}`, `-d${run.seconds}s`, "--latency"]
  for (const [k, v] of Object.entries(run.headers ?? {})) args.push("-H", `${k}: ${v}`)
  if (run.script) args.push("-s", join(import.meta.dir, run.script))
  args.push(run.url)
  const proc = Bun.spawn(args, { stdout: "pipe", stderr: "pipe" })
  const [code, out, err] = await Promise.all([proc.exited, new Response(proc.stdout).text(), new Response(proc.stderr).text()])
  if (code !== 0) throw new Error(`wrk exited with ${code}: ${err}`)
  return parseWrk(out)
}
