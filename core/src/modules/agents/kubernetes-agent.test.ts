// The real control plane with the real Kubernetes agent process (agents/kubernetes, run by path) on a real
// kube-apiserver (its test cluster, also run by path; pods go Ready by its fake kubelet): REST → agent → Deployment.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { join } from "node:path"
import type { Agent, Session, SessionState } from "@streamspace/schemas"
import { type ProcessControlPlane, processControlPlane } from "../../testing/core-process.ts"
import { eventually } from "../../testing/eventually.ts"

const agentsDir = join(import.meta.dir, "..", "..", "..", "..", "agents", "kubernetes", "src")
let cp: ProcessControlPlane
let cluster: Bun.Subprocess<"pipe", "pipe", "inherit">
let agent: Bun.Subprocess<"ignore", "pipe", "pipe">
let agentId: string
let templateId: string
const agentLines: string[] = []

async function firstLine(stream: ReadableStream<Uint8Array>): Promise<string> {
  const reader = stream.getReader()
  let text = ""
  while (!text.includes("\n")) {
    const chunk = await reader.read()
    if (chunk.done) throw new Error(`the test cluster ended before it was ready: ${text}`)
    text += new TextDecoder().decode(chunk.value)
  }
  reader.releaseLock()
  return text.slice(0, text.indexOf("\n"))
}

const session = (id: string) => cp.call<Session>(`/api/v1/sessions/${id}`)
const untilState = (id: string, state: SessionState) =>
  eventually(
    async () => {
      const s = await session(id)
      if (s.state === "failed") throw new Error(`session failed: ${s.reason}\n${agentLines.slice(-20).join("\n")}`)
      expect(s.state as SessionState).toBe(state)
      return s
    },
    60_000,
    50,
  )

beforeAll(async () => {
  cluster = Bun.spawn(["bun", join(agentsDir, "testing", "cluster-cli.ts")], { stdin: "pipe", stdout: "pipe", stderr: "inherit" })
  const kube = JSON.parse(await firstLine(cluster.stdout)) as {
    kubeconfig: string
    sessionNamespace: string
    agentNamespace: string
  }
  cp = await processControlPlane({ AGENT_HEARTBEAT_INTERVAL_MS: "1000" })
  const template = await cp.desktopTemplate(`k8s-${crypto.randomUUID().slice(0, 8)}`, "streamspace/desktop:latest", {
    displayName: "Kubernetes desktop",
  })
  templateId = template.id
  const registered = await cp.registerAgent("kubernetes", "kubernetes")
  agentId = registered.id
  agent = Bun.spawn(["bun", join(agentsDir, "main.ts")], {
    env: {
      ...process.env,
      STREAMSPACE_URLS: cp.core.url,
      STREAMSPACE_AGENT_TOKEN: registered.token,
      AGENT_INSTANCE_ID: "k8s-a",
      KUBECONFIG: kube.kubeconfig,
      SESSION_NAMESPACE: kube.sessionNamespace,
      AGENT_NAMESPACE: kube.agentNamespace,
      LOG_LEVEL: "info",
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  })
  for (const stream of [agent.stdout, agent.stderr])
    void (async () => {
      const reader = stream.getReader()
      for (let c = await reader.read(); !c.done; c = await reader.read())
        agentLines.push(...new TextDecoder().decode(c.value).split("\n"))
    })()
  await eventually(async () => expect((await cp.call<Agent>(`/api/v1/agents/${agentId}`)).status).toBe("online"), 60_000)
}, 240_000)

afterAll(async () => {
  agent?.kill("SIGKILL")
  await agent?.exited
  await cp?.close()
  cluster?.kill("SIGTERM")
  await cluster?.exited
})

describe("control plane + Kubernetes agent process on a real kube-apiserver (fake kubelet)", () => {
  test("a session launched over REST runs as a Deployment, hibernates, wakes and stops; the agent leads by its Lease", async () => {
    await eventually(async () => expect((await cp.call<Agent>(`/api/v1/agents/${agentId}`)).leaderInstance).toBe("k8s-a"), 30_000)
    const s = await cp.call<Session>("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId }) })
    await untilState(s.id, "running")
    await cp.call(`/api/v1/sessions/${s.id}/hibernate`, { method: "POST" })
    await untilState(s.id, "hibernated")
    await cp.call(`/api/v1/sessions/${s.id}/wake`, { method: "POST" })
    await untilState(s.id, "running")
    await cp.call(`/api/v1/sessions/${s.id}`, { method: "DELETE" })
    await untilState(s.id, "stopped")
    expect(agentLines.join("\n")).toContain("elected leader")
  }, 180_000)
})
