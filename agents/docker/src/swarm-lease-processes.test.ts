// The swarm lease between real processes: kill -9 and SIGSTOP/SIGCONT of the holder.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { join } from "node:path"
import { startTestSwarm, type TestSwarm } from "./test-swarm.ts"

const SCRIPT = join(import.meta.dir, "swarm-holder-process.ts")
let swarm: TestSwarm
const procs: Bun.Subprocess[] = []
beforeAll(async () => {
  swarm = await startTestSwarm()
}, 90_000)
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL")
  await swarm?.stop()
}, 60_000)

function holder(name: string, lease: string) {
  const proc = Bun.spawn(["bun", SCRIPT, name, swarm.socket, lease], { stdin: "ignore", stdout: "pipe", stderr: "inherit" })
  procs.push(proc)
  const lines: string[] = []
  void (async () => {
    const decoder = new TextDecoder()
    const reader = proc.stdout.getReader()
    let rest = ""
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      const parts = (rest + decoder.decode(chunk.value, { stream: true })).split("\n")
      rest = parts.pop() ?? ""
      lines.push(...parts)
    }
  })()
  const until = async (match: RegExp, from = 0, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const line = lines.slice(from).find((l) => match.test(l))
      if (line) return line
      if (Date.now() > deadline)
        throw new Error(`${name}: no line matching ${match} within ${timeoutMs} ms:\n${lines.join("\n")}`)
      await Bun.sleep(20)
    }
  }
  return { proc, lines, until }
}

const token = (line: string) => Number(line.split(" ")[1])

describe("swarm lease between real processes (a Swarm-mode engine of the test's own)", () => {
  test("kill -9 of the holder: the other process takes the lease once it has stood still for the lease time", async () => {
    const lease = `proc-${crypto.randomUUID().slice(0, 8)}`
    const a = holder("a", lease)
    const first = token(await a.until(/^elected/))
    const b = holder("b", lease)
    await b.until(/^leader false/)
    a.proc.kill("SIGKILL")
    const killed = Date.now()
    expect(token(await b.until(/^elected/))).toBeGreaterThan(first)
    expect(Date.now() - killed).toBeLessThan(15_000)
  }, 60_000)

  test("SIGSTOP of the holder, SIGCONT after the other took over: it does not lead on waking, and steps down", async () => {
    const lease = `proc-${crypto.randomUUID().slice(0, 8)}`
    const a = holder("a", lease)
    await a.until(/^elected/)
    const b = holder("b", lease)
    await b.until(/^leader false/)
    a.proc.kill("SIGSTOP")
    await b.until(/^elected/)
    const mark = a.lines.length
    a.proc.kill("SIGCONT")
    await a.until(/^deposed expired/, mark)
    await a.until(/^leader false/, mark)
    expect(a.lines.slice(mark).includes("leader true")).toBe(false)
    const bMark = b.lines.length
    await b.until(/^leader true/, bMark)
    expect(b.lines.slice(bMark).some((l) => l.startsWith("deposed"))).toBe(false)
  }, 60_000)
})
