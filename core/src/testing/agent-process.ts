// Runs the real Docker agent (agents/docker/src/main.ts) as a child process for end-to-end tests; started by path, never imported.
import { join } from "node:path"
import { RELAY_ALLOCATOR_ENV } from "../infra/allocator-env.ts"

export interface AgentProcess {
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">
  lines: string[]
  exited: Promise<number>
  kill(signal?: NodeJS.Signals): Promise<number>
}

const MAIN = join(import.meta.dir, "..", "..", "..", "agents", "docker", "src", "main.ts")

/** `bunFlags` go before the script (e.g. `--cpu-prof-md` for a benchmark's profile). */
export function startAgentProcess(env: Record<string, string>, bunFlags: string[] = []): AgentProcess {
  const proc = Bun.spawn(["bun", ...bunFlags, MAIN], {
    env: { ...RELAY_ALLOCATOR_ENV, ...process.env, LOG_LEVEL: "info", ...env },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  })
  const lines: string[] = []
  for (const stream of [proc.stdout, proc.stderr])
    void (async () => {
      const decoder = new TextDecoder()
      const reader = stream.getReader()
      let rest = ""
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
        const parts = (rest + decoder.decode(chunk.value, { stream: true })).split("\n")
        rest = parts.pop() ?? ""
        lines.push(...parts)
      }
      if (rest) lines.push(rest)
    })()
  return {
    proc,
    lines,
    exited: proc.exited,
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      proc.kill(signal)
      return proc.exited
    },
  }
}
