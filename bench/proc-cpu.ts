// CPU time of a process and everything it started, read from /proc: what a relay process costs.
import { readdirSync, readFileSync } from "node:fs"

const TICKS_PER_SECOND = 100

function statOf(pid: number): { ppid: number; ownTicks: number; reapedTicks: number } | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the command name, which may itself hold spaces and parentheses.
    const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ")
    return { ppid: Number(f[1]), ownTicks: Number(f[11]) + Number(f[12]), reapedTicks: Number(f[13]) + Number(f[14]) }
  } catch {
    return null
  }
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const name of readdirSync("/proc")) {
    const pid = Number(name)
    if (!Number.isInteger(pid)) continue
    const s = statOf(pid)
    if (s) children.set(s.ppid, [...(children.get(s.ppid) ?? []), pid])
  }
  const out: number[] = []
  const walk = (pid: number) => {
    for (const c of children.get(pid) ?? []) {
      out.push(c)
      walk(c)
    }
  }
  walk(root)
  return out
}

/** Seconds of CPU used so far by `pid`, its live descendants and the children it has reaped. */
export function cpuSeconds(pid: number): number {
  const root = statOf(pid)
  if (!root) return 0
  let ticks = root.ownTicks + root.reapedTicks
  for (const d of descendants(pid)) ticks += statOf(d)?.ownTicks ?? 0
  return ticks / TICKS_PER_SECOND
}
