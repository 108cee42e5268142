// The whole VNC path as real processes — control plane, Docker agent, desktop sessions in real
// containers — for bench:vnc and for the full-path tests beside it.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ensureDesktopImage } from "../images/desktop-image.ts"
import type { Role, Session, SessionState, User, ViewerTicket } from "../schemas/src/index.ts"
import type { VncTarget } from "../agents/runtime/src/session-driver.ts"
import { deriveVncPassword } from "../agents/docker/src/vnc-password.ts"
import { createTokenService } from "../core/src/modules/identity/tokens.ts"
import { type AgentProcess, startAgentProcess } from "../core/src/testing/agent-process.ts"
import { processControlPlane } from "../core/src/testing/core-process.ts"

export interface StackUser {
  user: User
  /** API call with this user's token; the Response is returned whatever its status. */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** A viewer ticket for the session; throws with the problem text when refused. */
  ticket(sessionId: string): Promise<ViewerTicket>
}

export interface StackSession {
  id: string
  container: string
  /** The VNC server itself, password included: for comparing against direct TCP and for server-side checks. */
  target: VncTarget
}

async function docker(...args: string[]): Promise<string> {
  const p = Bun.spawn(["docker", ...args], { stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  if (code !== 0) throw new Error(`docker ${args.join(" ")}: ${err.trim()}`)
  return out.trim()
}

/** `bunFlags` are given to the control plane and agent processes (e.g. `--cpu-prof-md`); they then stop with SIGTERM. */
export async function startVncStack(bunFlags: string[] = []) {
  const run = crypto.randomUUID().slice(0, 8)
  const { image } = await ensureDesktopImage()
  const jwtSecret = `vnc-stack-${crypto.randomUUID()}`
  const cp = await processControlPlane(
    {
      JWT_SECRET: jwtSecret,
      AGENT_HEARTBEAT_INTERVAL_MS: "1000",
      AGENT_COMMAND_TIMEOUT_MS: "60000",
    },
    bunFlags,
  )
  const tokens = createTokenService(jwtSecret, 3600)
  const secretDir = mkdtempSync(join(tmpdir(), "vnc-stack-"))
  const agentSecret = crypto.randomUUID() + crypto.randomUUID()
  writeFileSync(join(secretDir, "secret"), `${agentSecret}\n`, { mode: 0o600 })

  const template = await cp.call<{ id: string }>("/api/v1/templates", {
    method: "POST",
    body: JSON.stringify({
      name: `vnc-${run}`,
      displayName: "VNC",
      category: "Test",
      image,
      resources: { cpu: 1, memory: 1024 },
    }),
  })
  const agentName = `vnc-${run}`
  const registered = await cp.call<{ id: string; token: string }>("/api/v1/agents", {
    method: "POST",
    body: JSON.stringify({ name: agentName, platform: "docker" }),
  })
  const agent: AgentProcess = startAgentProcess(
    {
      STREAMSPACE_URLS: cp.core.url,
      STREAMSPACE_AGENT_TOKEN: registered.token,
      AGENT_NAME: agentName,
      AGENT_INSTANCE_ID: `${agentName}-1`,
      AGENT_SECRET_FILE: join(secretDir, "secret"),
      AGENT_MAX_SESSIONS: "50",
      LOG_LEVEL: "warn",
    },
    bunFlags,
  )
  await until(async () => (await cp.call<{ status: string }>(`/api/v1/agents/${registered.id}`)).status === "online", 20_000)

  async function user(username: string, role: Role = "user"): Promise<StackUser> {
    const created = await cp.call<User>("/api/v1/users", { method: "POST", body: JSON.stringify({ username, role }) })
    const { accessToken } = await tokens.issue({ sub: created.id, role, name: username })
    const fetchAs = (path: string, init: RequestInit = {}) => cp.fetch(path, init, accessToken)
    return {
      user: created,
      fetch: fetchAs,
      async ticket(sessionId) {
        const res = await fetchAs(`/api/v1/sessions/${sessionId}/connect`, { method: "POST" })
        if (!res.ok) throw new Error(`connect answered ${res.status}: ${await res.text()}`)
        return (await res.json()) as ViewerTicket
      },
    }
  }

  async function state(owner: StackUser, id: string): Promise<SessionState> {
    return ((await (await owner.fetch(`/api/v1/sessions/${id}`)).json()) as Session).state
  }

  return {
    cp,
    agent,
    /** Base URL for the browser's WebSocket: ws://host:port. */
    wsBase: cp.core.url.replace(/^http/, "ws"),
    user,
    state,
    async launch(owner: StackUser): Promise<StackSession> {
      const res = await owner.fetch("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId: template.id }) })
      const s = (await res.json()) as Session
      await until(async () => {
        const now = await state(owner, s.id)
        if (now === "failed") throw new Error(`session ${s.id} failed`)
        return now === "running"
      }, 120_000)
      const container = await docker("ps", "-q", "--filter", `label=streamspace.session=${s.id}`)
      const host = await docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", container)
      return { id: s.id, container, target: { host, port: 5900, password: deriveVncPassword(agentSecret, s.id) } }
    },
    async close() {
      await agent.kill(bunFlags.length > 0 ? "SIGTERM" : "SIGKILL")
      await cp.close()
      const leftovers = await docker("ps", "-aq", "--filter", `label=streamspace.agent=${agentName}`).catch(() => "")
      if (leftovers) await docker("rm", "-f", ...leftovers.split("\n"))
      const volumes = await docker("volume", "ls", "-q", "--filter", `label=streamspace.agent=${agentName}`).catch(() => "")
      if (volumes) await docker("volume", "rm", "-f", ...volumes.split("\n")).catch(() => "")
      rmSync(secretDir, { recursive: true, force: true })
    },
  }
}
export type VncStack = Awaited<ReturnType<typeof startVncStack>>

async function until(probe: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`not ready within ${timeoutMs} ms`)
    await Bun.sleep(100)
  }
}
