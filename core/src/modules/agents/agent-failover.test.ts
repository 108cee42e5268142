// Agent leader election end to end: two real Docker agent processes on a Redis or file lease, a real control plane, real Docker.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { ensureDesktopImage } from "@streamspace/images"
import Redis from "ioredis"
import type { Agent, Session, SessionState } from "@streamspace/schemas"
import { type AgentProcess, startAgentProcess } from "../../testing/agent-process.ts"
import { type ProcessControlPlane, processControlPlane } from "../../testing/core-process.ts"
import { containersOf, dockerApi } from "../../testing/docker-api.ts"
import { eventually } from "../../testing/eventually.ts"

let cp: ProcessControlPlane
let agentId: string
let token: string
let templateId: string
const run = crypto.randomUUID().slice(0, 8)
const agentName = `ha-${run}`
const secretFile = join(mkdtempSync(join(tmpdir(), "ha-agent-")), "secret")
/** Replica name → its running process. */
const replicas = new Map<string, AgentProcess>()

const lockPath = join(mkdtempSync(join(tmpdir(), "ha-lock-")), "leader")
const redisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/**
 * A replica of the agent; by default the lease lives in the machine's Redis under a key of this run's agent name,
 * with `file` in a lease file on this host.
 */
function startReplica(name: string, election: "redis" | "file" = "redis"): AgentProcess {
  const p = startAgentProcess({
    STREAMSPACE_URLS: cp.core.url,
    STREAMSPACE_AGENT_TOKEN: token,
    AGENT_NAME: agentName,
    AGENT_INSTANCE_ID: name,
    AGENT_SECRET_FILE: secretFile,
    ...(election === "redis"
      ? { LEADER_ELECTION: "redis", REDIS_URL: redisUrl }
      : { LEADER_ELECTION: "file", LEADER_LOCK_PATH: lockPath }),
  })
  replicas.set(name, p)
  return p
}

const agent = () => cp.call<Agent>(`/api/v1/agents/${agentId}`)
const session = (id: string) => cp.call<Session>(`/api/v1/sessions/${id}`)
const launch = () => cp.call<Session>("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId }) })

async function untilState(id: string, state: SessionState, timeoutMs = 30_000): Promise<Session> {
  return eventually(
    async () => {
      const s = await session(id)
      if (s.state === "failed" && state !== "failed") throw new Error(`session failed: ${s.reason}`)
      expect(s.state).toBe(state)
      return s
    },
    timeoutMs,
    50,
  )
}

/** The replica the control plane routes to, once it names a running one other than `not`. */
const leader = (not?: string) =>
  eventually(
    async () => {
      const name = (await agent()).leaderInstance
      expect(name !== null && name !== not && replicas.has(name)).toBe(true)
      return name as string
    },
    20_000,
    50,
  )

const linesAfter = (p: AgentProcess, from: number) => p.lines.slice(from).join("\n")

beforeAll(async () => {
  const { image } = await ensureDesktopImage()
  // Heartbeats every 3 s (offline after 9 s): a leader paused for a few seconds keeps its connection, so its late
  // writes reach the core.
  cp = await processControlPlane({ AGENT_HEARTBEAT_INTERVAL_MS: "3000", AGENT_COMMAND_TIMEOUT_MS: "60000" })
  const template = await cp.desktopTemplate(`ha-${run}`, image, { displayName: "HA desktop" })
  templateId = template.id
  const registered = await cp.registerAgent(agentName)
  agentId = registered.id
  token = registered.token
  startReplica("replica-a")
  startReplica("replica-b")
  await eventually(async () => expect((await agent()).status).toBe("online"), 20_000)
})

afterAll(async () => {
  for (const p of replicas.values()) await p.kill("SIGKILL")
  await cp?.close()
  for (const c of await containersOf(agentName)) await dockerApi(`/containers/${c.Id}?force=true`, "DELETE")
  const volumes = (await dockerApi(
    `/volumes?filters=${encodeURIComponent(JSON.stringify({ label: [`streamspace.agent=${agentName}`] }))}`,
  )) as {
    Volumes: { Name: string }[] | null
  }
  for (const v of volumes.Volumes ?? []) await dockerApi(`/volumes/${v.Name}?force=true`, "DELETE")
  // The lease and its term counter (which never expires) of this run's agent.
  const redis = new Redis(redisUrl)
  const keys = await redis.keys(`streamspace:agent-leader:docker:default:${agentName}*`)
  if (keys.length) await redis.del(...keys)
  redis.disconnect()
})

describe("agent leader election with two real Docker agent processes (Redis and file leases, real Docker)", () => {
  test("kill -9 of the leader: the follower leads, adopts the containers, the sessions keep running and obey it", async () => {
    const sessions = await Promise.all([launch(), launch()])
    for (const s of sessions) await untilState(s.id, "running")
    const before = (await containersOf(agentName)).map((c) => c.Id).sort()
    const old = await leader()
    const killedAt = Date.now()
    await replicas.get(old)?.kill("SIGKILL")
    replicas.delete(old)
    const next = await leader(old)
    expect(next).not.toBe(old)

    // A command through the new leader: stop one session.
    const [kept, stopped] = sessions as [Session, Session]
    await cp.call(`/api/v1/sessions/${stopped.id}`, { method: "DELETE" })
    await untilState(stopped.id, "stopped")
    const tookMs = Date.now() - killedAt
    expect(linesAfter(replicas.get(next) as AgentProcess, 0)).toContain("elected leader")
    expect((await session(kept.id)).state).toBe("running")
    const after = (await containersOf(agentName)).map((c) => c.Id)
    expect(after).toEqual(before.filter((id) => after.includes(id)))
    expect(after.length).toBe(1)
    // Lease 3 s, retry 0.5 s: the follower must lead well within 10 s of the kill.
    expect(tookMs).toBeLessThan(10_000)
    // The killed replica comes back as a follower.
    startReplica(old)
    await eventually(async () => expect(replicas.get(old)?.lines.join("\n")).toContain("welcomed by the control plane"), 20_000)
    expect(await leader()).toBe(next)
    await cp.call(`/api/v1/sessions/${kept.id}`, { method: "DELETE" })
    await untilState(kept.id, "stopped")
  }, 120_000)

  test("SIGSTOP of the leader mid-command, SIGCONT after a follower took over: its late result is refused and it steps down", async () => {
    const old = await leader()
    const paused = replicas.get(old) as AgentProcess
    const s = await launch()
    // Pause it while it is starting the container (created, VNC not answering yet): the command is in flight.
    await eventually(
      async () => expect((await containersOf(agentName)).some((c) => c.Labels["streamspace.session"] === s.id)).toBe(true),
      30_000,
      10,
    )
    paused.proc.kill("SIGSTOP")
    const next = await leader(old)
    expect(next).not.toBe(old)
    const mark = paused.lines.length
    const coreMark = cp.core.lines.length
    paused.proc.kill("SIGCONT")

    await eventually(() => expect(linesAfter(paused, mark)).toContain("no longer leader"), 20_000)
    expect(linesAfter(paused, mark)).toContain('"reason":"expired"')
    // Either its late result reached the core and was refused, or it never went out: it never counts.
    await untilState(s.id, "running")
    await eventually(() => expect(cp.core.lines.slice(coreMark).join("\n")).toContain("refused a deposed leader's write"), 10_000)
    expect((await containersOf(agentName)).filter((c) => c.Labels["streamspace.session"] === s.id)).toHaveLength(1)

    // From now on it does nothing: the next command runs on the new leader only.
    const quiet = paused.lines.length
    await cp.call(`/api/v1/sessions/${s.id}`, { method: "DELETE" })
    await untilState(s.id, "stopped")
    expect(linesAfter(paused, quiet)).not.toContain("command done")
    expect(linesAfter(replicas.get(next) as AgentProcess, 0)).toContain("command done")
    expect((await agent()).leaderInstance).toBe(next)
  }, 120_000)

  test("file lease on one host: SIGTERM of the leader releases it, the follower leads at once, the session keeps running", async () => {
    for (const p of replicas.values()) await p.kill("SIGKILL")
    replicas.clear()
    startReplica("file-a", "file")
    startReplica("file-b", "file")
    const s = await launch()
    await untilState(s.id, "running")
    const old = await leader()
    const stopping = replicas.get(old) as AgentProcess
    const stoppedAt = Date.now()
    expect(await stopping.kill("SIGTERM")).toBe(0)
    replicas.delete(old)
    const next = await leader(old)
    // Released, not expired: the follower's next try (every 0.5 s) takes it, well before a 3 s lease could run out.
    expect(Date.now() - stoppedAt).toBeLessThan(3_000)
    expect(stopping.lines.join("\n")).toContain('"reason":"stopped"')
    expect((await session(s.id)).state).toBe("running")
    await cp.call(`/api/v1/sessions/${s.id}`, { method: "DELETE" })
    await untilState(s.id, "stopped")
    expect(linesAfter(replicas.get(next) as AgentProcess, 0)).toContain("command done")
  }, 120_000)
})
