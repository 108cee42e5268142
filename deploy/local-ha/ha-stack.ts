// A whole HA stack for tests and benchmarks: a private Redis, a PostgreSQL database, N replicas behind HAProxy, real Docker agents.
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Agent, AgentWithToken, Session, Template } from "../../schemas/src/index.ts"
import { createApp } from "../../core/src/app.ts"
import { createLogger } from "../../core/src/infra/log.ts"
import { createApiKey } from "../../core/src/modules/api-keys/service.ts"
import { createUser } from "../../core/src/modules/users/service.ts"
import { type AgentProcess, startAgentProcess } from "../../core/src/testing/agent-process.ts"
import { databaseForProcess } from "../../core/src/testing/test-database.ts"
import { connectRedis } from "../../core/src/infra/redis.ts"
import { privateRedis } from "../../core/src/testing/test-redis.ts"
import { type LocalHa, startLocalHa } from "./local-ha.ts"

export interface HaStackOptions {
  replicas: number
  /** Docker agents, each registered under its own name and run as a real process through HAProxy. */
  agents: number
  heartbeatIntervalMs?: number
  /** The agents' STREAMSPACE_URLS (default: HAProxy only), e.g. one replica first to put every agent there. */
  agentUrls?: (ha: LocalHa) => string
  /** Processes per agent (default 1); with more, they elect a leader on the stack's Redis (LEADER_ELECTION=redis). */
  agentReplicas?: number
}

export interface StackAgent {
  id: string
  name: string
  token: string
  /** The first replica's process. */
  process: AgentProcess | null
  /** Every replica's process by instance id (`<name>-1`, `<name>-2`…). */
  replicas: Map<string, AgentProcess>
  start(): void
  /** Starts (again) the replica with this instance id. */
  startReplica(instanceId: string): AgentProcess
}

export async function startHaStack(o: HaStackOptions) {
  const redis = await privateRedis()
  /** The test's own look at Redis (what the replicas registered). */
  const peek = connectRedis(redis.url, createLogger("silent"))
  const database = await databaseForProcess("postgres")
  const jwtSecret = randomBytes(32).toString("hex")
  const dir = mkdtempSync(join(tmpdir(), "streamspace-ha-agents-"))
  // An admin API key made beforehand, straight in the database.
  const db = await database.open()
  const { deps } = createApp({ db, log: createLogger("silent"), signingKey: jwtSecret, accessTokenTtlSeconds: 900 })
  const admin = await createUser(deps, { username: "ha-admin", role: "admin" })
  const apiKey = (
    await createApiKey(deps, { id: admin.id, username: admin.username, role: admin.role, via: "token" }, { name: "ha" })
  ).secret
  await db.close()

  let ha: LocalHa
  try {
    ha = await startLocalHa({
      replicas: o.replicas,
      databaseUrl: database.env.DATABASE_URL as string,
      redisUrl: redis.url,
      jwtSecret,
      env: {
        PLUGINS_ENABLED: "false",
        LOCAL_DOCKER_AGENT: "off",
        AGENT_HEARTBEAT_INTERVAL_MS: String(o.heartbeatIntervalMs ?? 1_000),
        AGENT_COMMAND_TIMEOUT_MS: "60000",
      },
    })
  } catch (e) {
    await peek.close()
    await redis.close()
    await database.remove()
    throw e
  }

  /** As the admin, through HAProxy (so through any replica); throws with the problem text on a non-2xx answer. */
  async function call<T>(path: string, init: RequestInit = {}): Promise<T> {
    const res = await fetch(`${ha.url}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...init.headers },
    })
    if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${res.status}: ${await res.text()}`)
    return (res.status === 204 ? undefined : await res.json()) as T
  }

  const agents: StackAgent[] = []
  for (let i = 0; i < o.agents; i++) {
    const name = `ha-${crypto.randomUUID().slice(0, 8)}`
    const reg = await call<AgentWithToken>("/api/v1/agents", {
      method: "POST",
      body: JSON.stringify({ name, platform: "docker" }),
    })
    const replicas = o.agentReplicas ?? 1
    const agent: StackAgent = {
      id: reg.id,
      name,
      token: reg.token,
      process: null,
      replicas: new Map(),
      startReplica(instanceId) {
        const p = startAgentProcess({
          STREAMSPACE_URLS: o.agentUrls?.(ha) ?? ha.url,
          STREAMSPACE_AGENT_TOKEN: reg.token,
          AGENT_NAME: name,
          AGENT_INSTANCE_ID: instanceId,
          // Replicas of one agent share its secret: VNC passwords derive from it.
          AGENT_SECRET_FILE: join(dir, `${name}.secret`),
          AGENT_MAX_SESSIONS: "100",
          LOG_LEVEL: "warn",
          ...(replicas > 1 ? { LEADER_ELECTION: "redis", REDIS_URL: redis.url } : {}),
        })
        agent.replicas.set(instanceId, p)
        if (instanceId === `${name}-1`) agent.process = p
        return p
      },
      start() {
        for (let r = 1; r <= replicas; r++) agent.startReplica(`${name}-${r}`)
      },
    }
    agent.start()
    agents.push(agent)
  }

  const desktop = async () =>
    (await call<{ items: Template[] }>("/api/v1/templates?q=desktop")).items.find((t) => t.name === "desktop") as Template

  return {
    ha,
    redis,
    peek,
    databaseUrl: database.env.DATABASE_URL as string,
    call,
    apiKey,
    agents,
    desktop,
    /** Which replica (index) holds each agent's connection now, from the registry in Redis. */
    async holders(): Promise<Map<string, number>> {
      const byReplica = new Map<string, number>()
      ha.replicas.forEach((r, i) => {
        const ready = r.process?.lines.find((l) => l.includes("StreamSpace control plane ready"))
        if (ready) byReplica.set((JSON.parse(ready) as { replicaId: string }).replicaId, i)
      })
      const out = new Map<string, number>()
      for (const a of agents) {
        const conns = await peek.client.hgetall(`streamspace:connections:${a.id}`)
        for (const json of Object.values(conns)) {
          const replica = byReplica.get((JSON.parse(json) as { replicaId: string }).replicaId)
          if (replica !== undefined) out.set(a.id, replica)
        }
      }
      return out
    },
    async agentsOnline(): Promise<boolean> {
      const list = await call<Agent[]>("/api/v1/agents")
      return agents.every((a) => list.find((x) => x.id === a.id)?.status === "online")
    },
    async launch(): Promise<Session> {
      return call<Session>("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId: (await desktop()).id }) })
    },
    session: (id: string) => call<Session>(`/api/v1/sessions/${id}`),
    /** A viewer's desktop WebSocket URL (ticket from any replica), on `base` (HAProxy by default, or one replica). */
    async viewerUrl(sessionId: string, base = ha.url): Promise<string> {
      const { url } = await call<{ url: string }>(`/api/v1/sessions/${sessionId}/connect`, { method: "POST" })
      return `${base.replace(/^http/, "ws")}${url}`
    },
    async close() {
      for (const a of agents) for (const p of a.replicas.values()) await p.kill("SIGTERM")
      // Containers the agents started are removed by label, whatever state the test left them in.
      for (const a of agents) {
        const ps = Bun.spawn(["docker", "ps", "-aq", "--filter", `label=streamspace.agent=${a.name}`], { stdout: "pipe" })
        const ids = (await new Response(ps.stdout).text()).trim()
        if (ids) await Bun.spawn(["docker", "rm", "-f", ...ids.split("\n")], { stdout: "ignore", stderr: "ignore" }).exited
      }
      await ha.stop()
      await peek.close()
      await redis.close()
      await database.remove()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
export type HaStack = Awaited<ReturnType<typeof startHaStack>>
