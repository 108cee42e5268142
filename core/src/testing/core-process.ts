// Runs the real control plane (main.ts) as a child process for tests that kill and restart it.
import { join } from "node:path"

export interface CoreProcess {
  url: string
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">
  /** Every stdout/stderr line so far, for assertions and for failure messages. */
  lines: string[]
  /** The first line, past or future, that matches. */
  waitForLine(match: RegExp, timeoutMs?: number): Promise<string>
  stop(signal?: NodeJS.Signals): Promise<number>
}

const MAIN = join(import.meta.dir, "..", "main.ts")

export async function startCoreProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<CoreProcess> {
  const proc = Bun.spawn(["bun", MAIN], {
    env: { ...process.env, PORT: "0", HOST: "127.0.0.1", LOG_LEVEL: "info", LOCAL_DOCKER_AGENT: "off", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  })
  const lines: string[] = []
  let onLine: (line: string) => void = () => {}
  const watchers = new Set<(line: string) => void>()
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    let rest = ""
    const reader = stream.getReader()
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      const parts = (rest + decoder.decode(chunk.value, { stream: true })).split("\n")
      rest = parts.pop() ?? ""
      for (const line of parts) {
        lines.push(line)
        onLine(line)
        for (const watch of [...watchers]) watch(line)
      }
    }
  }
  void pump(proc.stdout)
  void pump(proc.stderr)
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the control plane did not start:\n${lines.join("\n")}`)), timeoutMs)
    void proc.exited.then((code) => reject(new Error(`the control plane exited with ${code}:\n${lines.join("\n")}`)))
    onLine = (line) => {
      if (!line.includes("StreamSpace control plane ready")) return
      clearTimeout(timer)
      resolve((JSON.parse(line) as { port: number }).port)
    }
    for (const line of lines) onLine(line)
  })
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    lines,
    waitForLine(match, waitMs = timeoutMs) {
      const seen = lines.find((l) => match.test(l))
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(watch)
          reject(new Error(`no line matching ${match}:\n${lines.join("\n")}`))
        }, waitMs)
        const watch = (line: string) => {
          if (!match.test(line)) return
          clearTimeout(timer)
          watchers.delete(watch)
          resolve(line)
        }
        watchers.add(watch)
      })
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      proc.kill(signal)
      return proc.exited
    },
  }
}
