// CPU time of a process and everything it started, read from /proc: what a relay process costs.
import { readdirSync, readFileSync } from "node:fs"

const TICKS_PER_SECOND = 100

interface Stat {
  ppid: number
  minorFaults: number
  user: number
  system: number
  reapedUser: number
  reapedSystem: number
}

function statOf(pid: number): Stat | null {
  try {
    const raw = readFileSync(`/proc/${pid}/stat`, "utf8")
    // Fields after the command name, which may itself hold spaces and parentheses.
    const f = raw.slice(raw.lastIndexOf(")") + 2).split(" ")
    return {
      ppid: Number(f[1]),
      minorFaults: Number(f[7]),
      user: Number(f[11]),
      system: Number(f[12]),
      reapedUser: Number(f[13]),
      reapedSystem: Number(f[14]),
    }
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

export interface CpuUse {
  /** Seconds in user space and in the kernel (system calls, loopback TCP work done on the process's behalf). */
  user: number
  system: number
  /** Page faults of live processes: fresh memory per message shows here (and as system time). */
  minorFaults: number
  /** How many processes were counted: a relay that forks per connection (websockify) must show them all. */
  processes: number
}

/** CPU used so far by `pid`, its live descendants and the children it has reaped. */
export function cpuUse(pid: number): CpuUse {
  const root = statOf(pid)
  if (!root) return { user: 0, system: 0, minorFaults: 0, processes: 0 }
  let minorFaults = root.minorFaults
  let user = root.user + root.reapedUser
  let system = root.system + root.reapedSystem
  const children = descendants(pid)
  for (const d of children) {
    const s = statOf(d)
    user += s?.user ?? 0
    system += s?.system ?? 0
    minorFaults += s?.minorFaults ?? 0
  }
  return { user: user / TICKS_PER_SECOND, system: system / TICKS_PER_SECOND, minorFaults, processes: 1 + children.length }
}

/** Resident memory of `pid` and its live descendants, in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  let total = 0
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${p}/status`, "utf8"))?.[1]
      total += Number(kb ?? 0) * 1024
    } catch {
      // The process ended meanwhile.
    }
  }
  return total
}
