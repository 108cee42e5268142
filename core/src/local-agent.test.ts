// All-in-one start, end to end: the control plane registers and runs its own Docker agent (real processes, real Docker).
import { afterAll, beforeAll, expect, test } from "bun:test"
import { ensureDesktopImage } from "@streamspace/images"
import type { Agent, Session, Template } from "@streamspace/schemas"
import { type ProcessControlPlane, processControlPlane } from "./testing/core-process.ts"
import { eventually } from "./testing/eventually.ts"

let cp: ProcessControlPlane
const name = `local-${crypto.randomUUID().slice(0, 8)}`
const sessions: string[] = []

beforeAll(async () => {
  await ensureDesktopImage()
  cp = await processControlPlane({
    LOCAL_DOCKER_AGENT: "auto",
    LOCAL_DOCKER_AGENT_NAME: name,
    AGENT_HEARTBEAT_INTERVAL_MS: "500",
  })
})
afterAll(async () => {
  await cp?.core.stop("SIGTERM")
  const p = Bun.spawn(["docker", "ps", "-aq", "--filter", `label=streamspace.agent=${name}`], { stdout: "pipe" })
  const leftovers = (await new Response(p.stdout).text()).trim()
  if (leftovers) await Bun.spawn(["docker", "rm", "-f", ...leftovers.split("\n")]).exited
  await cp?.close()
})

test("with a Docker socket the control plane registers and starts its own agent; a new user's desktop just runs", async () => {
  const agent = await eventually(
    async () => {
      const agents = await cp.call<Agent[]>("/api/v1/agents")
      const local = agents.find((a) => a.name === name)
      expect(local?.status).toBe("online")
      return local as Agent
    },
    30_000,
    200,
  )
  expect(agent.platform).toBe("docker")
  const catalog = await cp.call<{ items: Template[] }>("/api/v1/templates")
  const desktop = catalog.items.find((t) => t.name === "desktop") as Template
  const s = await cp.call<Session>("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId: desktop.id }) })
  sessions.push(s.id)
  await eventually(async () => expect((await cp.call<Session>(`/api/v1/sessions/${s.id}`)).state).toBe("running"), 30_000, 200)
  // The token reached the agent through its environment only: no log line carries it.
  expect(cp.core.lines.some((l) => /ssa_[A-Za-z0-9_-]{20,}/.test(l))).toBe(false)
  await cp.call(`/api/v1/sessions/${s.id}`, { method: "DELETE" })

  // A graceful stop takes the agent down with the control plane.
  expect(await cp.core.stop("SIGTERM")).toBe(0)
  expect(cp.core.lines.some((l) => l.includes("Docker agent stopping"))).toBe(true)
})
