// A replica of the real Kubernetes agent (src/main.ts) as a child process, each with its own
// fake control plane so a test can send it commands and read what it says.
import { join } from "node:path"
import type { AgentMessage, SessionSpec } from "@streamspace/schemas"
import { FakeControlPlane } from "../../../runtime/src/fake-control-plane.ts"
import { eventually } from "./eventually.ts"

const MAIN = join(import.meta.dir, "..", "main.ts")
export const AGENT_TOKEN = "ssa_kubernetes-test-token"

export interface AgentReplica {
  name: string
  cp: FakeControlPlane
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">
  lines: string[]
  /** Sends a command and resolves with its outcome (command.result or command.error). */
  command(action: "session.start" | "session.stop" | "session.hibernate" | "session.wake", spec: SessionSpec): Promise<Outcome>
  /** Whether its latest heartbeat (or leader.changed) says it leads. */
  saysLeader(): boolean | null
  kill(signal?: NodeJS.Signals): Promise<number>
}

type Outcome = Extract<AgentMessage, { type: "command.result" | "command.error" }>

export function startAgentReplica(name: string, env: Record<string, string>): AgentReplica {
  const cp = new FakeControlPlane(AGENT_TOKEN)
  const proc = Bun.spawn(["bun", MAIN], {
    env: {
      ...process.env,
      LOG_LEVEL: "info",
      STREAMSPACE_URLS: cp.url,
      STREAMSPACE_AGENT_TOKEN: AGENT_TOKEN,
      AGENT_INSTANCE_ID: name,
      ...env,
    },
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
    name,
    cp,
    proc,
    lines,
    async command(action, spec) {
      const commandId = crypto.randomUUID()
      cp.send({ type: "command", commandId, action, sessionId: spec.sessionId, spec, deadlineMs: 120_000 })
      return eventually(
        () => {
          const outcome = cp.messages.find(
            (m): m is Outcome => (m.type === "command.result" || m.type === "command.error") && m.commandId === commandId,
          )
          if (!outcome) throw new Error(`no outcome for ${action} from ${name} yet`)
          return outcome
        },
        90_000,
        25,
      )
    },
    saysLeader() {
      for (let i = cp.messages.length - 1; i >= 0; i--) {
        const m = cp.messages[i]
        if (m?.type === "heartbeat" || m?.type === "leader.changed" || m?.type === "hello") return m.leader
      }
      return null
    },
    async kill(signal: NodeJS.Signals = "SIGTERM") {
      proc.kill(signal)
      const code = await proc.exited
      cp.stop()
      return code
    },
  }
}
