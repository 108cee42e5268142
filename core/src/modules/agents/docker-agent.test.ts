// End to end with real processes: the control plane, the real Docker agent, real Docker and the real desktop image.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ensureDesktopImage } from "@streamspace/images"
import type { Agent, Session, SessionState } from "@streamspace/schemas"
import { type AgentProcess, startAgentProcess } from "../../testing/agent-process.ts"
import { type ProcessControlPlane, processControlPlane } from "../../testing/core-process.ts"
import { eventually } from "../../testing/eventually.ts"

let cp: ProcessControlPlane
let agent: AgentProcess
let agentId: string
let token: string
let templateId: string
const run = crypto.randomUUID().slice(0, 8)
const agentName = `e2e-${run}`
const secretFile = join(mkdtempSync(join(tmpdir(), "e2e-agent-")), "secret")

async function docker(...args: string[]): Promise<string> {
  const p = Bun.spawn(["docker", ...args], { stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  if (code !== 0) throw new Error(`docker ${args.join(" ")}: ${err.trim()}`)
  return out.trim()
}

const containerOf = async (sessionId: string) =>
  docker("ps", "-a", "--filter", `label=streamspace.session=${sessionId}`, "--format", "{{.ID}} {{.State}}")

/** Reads the first bytes a VNC server sends: the RFB ProtocolVersion. */
async function rfbBanner(sessionId: string): Promise<string> {
  const [id] = (await containerOf(sessionId)).split(" ")
  const ip = await docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", id as string)
  return new Promise((resolve, reject) => {
    Bun.connect({
      hostname: ip,
      port: 5900,
      socket: {
        data(socket, data) {
          resolve(new TextDecoder().decode(data))
          socket.end()
        },
        error: (_s, e) => reject(e),
      },
    }).catch(reject)
  })
}

const startAgent = () =>
  startAgentProcess({
    STREAMSPACE_URLS: cp.core.url,
    STREAMSPACE_AGENT_TOKEN: token,
    AGENT_NAME: agentName,
    AGENT_INSTANCE_ID: `${agentName}-1`,
    AGENT_SECRET_FILE: secretFile,
  })

const agentStatus = async () => (await cp.call<Agent>(`/api/v1/agents/${agentId}`)).status

async function untilState(id: string, state: SessionState, timeoutMs = 30_000): Promise<Session> {
  return eventually(
    async () => {
      const s = await cp.call<Session>(`/api/v1/sessions/${id}`)
      if (s.state === "failed" && state !== "failed") throw new Error(`session failed: ${s.reason}`)
      expect(s.state).toBe(state)
      return s
    },
    timeoutMs,
    100,
  )
}

const launch = async () => cp.call<Session>("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId }) })

beforeAll(async () => {
  const { image } = await ensureDesktopImage()
  cp = await processControlPlane({ AGENT_HEARTBEAT_INTERVAL_MS: "500", AGENT_COMMAND_TIMEOUT_MS: "60000" })
  const template = await cp.desktopTemplate(`e2e-${run}`, image, { displayName: "E2E desktop" })
  templateId = template.id
  const registered = await cp.registerAgent(agentName)
  agentId = registered.id
  token = registered.token
  agent = startAgent()
  await eventually(async () => expect(await agentStatus()).toBe("online"), 20_000)
})

afterAll(async () => {
  await agent?.kill("SIGKILL")
  await cp?.close()
  const leftovers = await docker("ps", "-aq", "--filter", `label=streamspace.agent=${agentName}`).catch(() => "")
  if (leftovers) await docker("rm", "-f", ...leftovers.split("\n"))
  const volumes = await docker("volume", "ls", "-q", "--filter", `label=streamspace.agent=${agentName}`).catch(() => "")
  if (volumes) await docker("volume", "rm", "-f", ...volumes.split("\n"))
})

describe("the Docker agent end to end (real control plane, real agent process, real Docker)", () => {
  test("a new session runs in a real container whose VNC server answers", async () => {
    const s = await launch()
    await untilState(s.id, "running")
    expect(await containerOf(s.id)).toMatch(/ running$/)
    expect(await rfbBanner(s.id)).toBe("RFB 003.008\n")
  })

  test("stop removes the container and keeps the home volume: the user's next session finds its file", async () => {
    const first = await launch()
    await untilState(first.id, "running")
    const [container] = (await containerOf(first.id)).split(" ")
    await docker("exec", container as string, "sh", "-c", "echo kept > /home/user/marker.txt")
    await cp.call(`/api/v1/sessions/${first.id}`, { method: "DELETE" })
    await untilState(first.id, "stopped")
    expect(await containerOf(first.id)).toBe("")

    const second = await launch()
    await untilState(second.id, "running")
    const [next] = (await containerOf(second.id)).split(" ")
    expect(await docker("exec", next as string, "cat", "/home/user/marker.txt")).toBe("kept")
    await cp.call(`/api/v1/sessions/${second.id}`, { method: "DELETE" })
    await untilState(second.id, "stopped")
  })

  test("hibernate keeps the container stopped; wake brings the desktop back", async () => {
    const s = await launch()
    await untilState(s.id, "running")
    await cp.call(`/api/v1/sessions/${s.id}/hibernate`, { method: "POST" })
    await untilState(s.id, "hibernated")
    expect(await containerOf(s.id)).toMatch(/ exited$/)
    await cp.call(`/api/v1/sessions/${s.id}/wake`, { method: "POST" })
    await untilState(s.id, "running")
    expect(await rfbBanner(s.id)).toBe("RFB 003.008\n")
  })

  test("an agent killed mid-session comes back, adopts the container, and the session stays running", async () => {
    const s = await launch()
    await untilState(s.id, "running")
    const before = await containerOf(s.id)
    await agent.kill("SIGKILL")
    await eventually(async () => expect(await agentStatus()).toBe("offline"), 10_000)
    expect((await cp.call<Session>(`/api/v1/sessions/${s.id}`)).state).toBe("running")

    agent = startAgent()
    await eventually(async () => expect(await agentStatus()).toBe("online"), 20_000)
    await Bun.sleep(1_500) // a few heartbeats: any reconcile mistake would show now
    expect((await cp.call<Session>(`/api/v1/sessions/${s.id}`)).state).toBe("running")
    expect(await containerOf(s.id)).toBe(before)
    expect(await rfbBanner(s.id)).toBe("RFB 003.008\n")
    // The adopted session obeys the new agent process.
    await cp.call(`/api/v1/sessions/${s.id}`, { method: "DELETE" })
    await untilState(s.id, "stopped")
  })

  test("an agent whose token is revoked is disconnected, exits, and is refused when started again", async () => {
    await cp.call(`/api/v1/agents/${agentId}/revoke`, { method: "POST" })
    expect(await agent.exited).toBe(3)
    expect(agent.lines.join("\n")).toContain("The control plane refused this agent")
    const again = startAgent()
    expect(await again.exited).toBe(3)
    expect(again.lines.join("\n")).toContain("refused this agent's token (401)")
    expect(again.lines.join("\n")).not.toContain(token)
  })
})
