// Leases between real processes: kill -9 and SIGSTOP/SIGCONT of the holder, on the file lease and on Redis.
import { afterAll, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Redis from "ioredis"

const SCRIPT = join(import.meta.dir, "lease-holder-process.ts")
const dir = mkdtempSync(join(tmpdir(), "streamspace-lease-proc-"))
const procs: Holder[] = []
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"
const redisNames: string[] = []
afterAll(async () => {
  for (const p of procs) p.proc.kill("SIGKILL")
  rmSync(dir, { recursive: true, force: true })
  const redis = new Redis(redisUrl)
  for (const name of redisNames) await redis.del(`test:agent-leader:${name}`, `test:agent-leader:${name}:term`)
  redis.disconnect()
})

interface Holder {
  proc: Bun.Subprocess<"ignore", "pipe", "inherit">
  lines: string[]
  /** Resolves with the first line at or after `from` that matches. */
  until(match: RegExp, from?: number, timeoutMs?: number): Promise<string>
}

function holder(name: string, ...where: string[]): Holder {
  const proc = Bun.spawn(["bun", SCRIPT, name, ...where], { stdin: "ignore", stdout: "pipe", stderr: "inherit" })
  const lines: string[] = []
  void (async () => {
    const decoder = new TextDecoder()
    let rest = ""
    const reader = proc.stdout.getReader()
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      const parts = (rest + decoder.decode(chunk.value, { stream: true })).split("\n")
      rest = parts.pop() ?? ""
      lines.push(...parts)
    }
  })()
  const h: Holder = {
    proc,
    lines,
    async until(match, from = 0, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const line = lines.slice(from).find((l) => match.test(l))
        if (line) return line
        if (Date.now() > deadline)
          throw new Error(`${name}: no line matching ${match} within ${timeoutMs} ms:\n${lines.join("\n")}`)
        await Bun.sleep(20)
      }
    },
  }
  procs.push(h)
  return h
}

const token = (line: string) => Number(line.split(" ")[1])

const where: Record<string, () => string[]> = {
  file: () => ["file", join(dir, crypto.randomUUID(), "leader")],
  redis: () => {
    const name = `proc-${crypto.randomUUID()}`
    redisNames.push(name)
    return ["redis", redisUrl, name]
  },
}

for (const [kind, place] of Object.entries(where)) {
  describe(`${kind} lease between real processes`, () => {
    test("kill -9 of the holder: the other process takes the lease once it runs out, with a higher token", async () => {
      const at = place()
      const a = holder("a", ...at)
      const first = token(await a.until(/^elected/))
      const b = holder("b", ...at)
      await b.until(/^started/)
      a.proc.kill("SIGKILL")
      const killed = Date.now()
      const second = token(await b.until(/^elected/))
      expect(second).toBeGreaterThan(first)
      // Lease 3 s + one retry; generous for a loaded machine, far below the original's 15 s.
      expect(Date.now() - killed).toBeLessThan(10_000)
    }, 30_000)

    test("SIGSTOP of the holder, SIGCONT after the other took over: it says it does not lead at once, and steps down", async () => {
      const at = place()
      const a = holder("a", ...at)
      await a.until(/^elected/)
      const b = holder("b", ...at)
      await b.until(/^started/)
      a.proc.kill("SIGSTOP")
      await b.until(/^elected/)
      const mark = a.lines.length
      a.proc.kill("SIGCONT")
      await a.until(/^deposed expired/, mark)
      // Its first answer after waking is already "no": nothing it did after SIGCONT counted as leading.
      await a.until(/^leader false/, mark)
      expect(
        a.lines
          .slice(mark)
          .filter((l) => l.startsWith("leader "))
          .includes("leader true"),
      ).toBe(false)
      // And b keeps the lease: a does not take it back.
      const bMark = b.lines.length
      await b.until(/^leader true/, bMark)
      expect(b.lines.slice(bMark).some((l) => l.startsWith("deposed"))).toBe(false)
    }, 30_000)
  })
}
