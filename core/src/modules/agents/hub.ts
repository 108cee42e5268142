// The agent hub: live agent connections, their presence in the registry and database, and what they say.
import type { AgentMessage, Capacity, Command } from "@streamspace/schemas"
import type { ServerWebSocket } from "bun"
import type { CoreDeps } from "../../deps.ts"
import { appendEvent } from "../events/outbox.ts"
import { findSession } from "../sessions/service.ts"
import type { Agent } from "@streamspace/schemas"
import { type ClusterOptions, createCluster } from "./cluster.ts"
import { AgentConnection, CloseCode, type ConnectionHandlers, type SocketData } from "./connection.ts"
import { claimLeadership, isDeposed } from "./fencing.ts"
import type { AgentConnections } from "./ports.ts"
import { type AgentRegistry, createMemoryAgentRegistry } from "./registry.ts"
import { createRouter } from "./routing.ts"
import { createHeartbeatBatch } from "./heartbeat-batch.ts"
import * as repo from "./repo.ts"
import { createScheduler } from "./scheduler.ts"
import { type AgentStream, type StreamHandlers, StreamMux, StreamOpenFailed } from "./streams.ts"

export interface HubOptions {
  /** Told to agents in the welcome; three silent intervals make an agent offline. */
  heartbeatIntervalMs: number
  /** How long a session command may take before its session fails. */
  commandTimeoutMs: number
  ackTimeoutMs?: number
  maxAttempts?: number
  /** How often deadlines and retries are looked at. */
  sweepIntervalMs?: number
  helloTimeoutMs?: number
  registry?: AgentRegistry
  replicaId?: string
  /** Several replicas on one Redis; without it this replica is alone and keeps the registry in memory. */
  cluster?: ClusterOptions
}

interface Live {
  conn: AgentConnection
  mux: StreamMux
  capacity: Capacity
}

export function createAgentHub(deps: CoreDeps, options: HubOptions) {
  const { log } = deps
  const replicaId = options.replicaId ?? crypto.randomUUID()
  const offlineAfterMs = options.heartbeatIntervalMs * 3
  const cluster = options.cluster ? createCluster(options.cluster, replicaId, offlineAfterMs, log) : null
  const registry = options.registry ?? cluster?.registry ?? createMemoryAgentRegistry()
  const helloTimeoutMs = options.helloTimeoutMs ?? 10_000
  // Well inside the offline limit (three intervals), so a batched heartbeat is never what makes an agent look stale.
  const heartbeats = createHeartbeatBatch(deps.sql, log, Math.min(1_000, Math.floor(options.heartbeatIntervalMs / 2)))
  /** agentId → instanceId → live connection that said hello. */
  const live = new Map<string, Map<string, Live>>()
  const greeting = new Set<AgentConnection>()

  /** The connection commands go to: the agent's leading instance; the highest term, then the newest, if several claim it. */
  function leaderOf(agentId: string): Live | null {
    let best: Live | null = null
    for (const l of live.get(agentId)?.values() ?? [])
      if (l.conn.leader && l.conn.isOpen && (!best || outranks(l.conn, best.conn))) best = l
    return best
  }
  const outranks = (a: AgentConnection, b: AgentConnection) =>
    (a.fencingToken ?? 0) !== (b.fencingToken ?? 0)
      ? (a.fencingToken ?? 0) > (b.fencingToken ?? 0)
      : a.connectedAt > b.connectedAt

  /**
   * Whether a connection that says it leads may: agents with election send a fencing token, and a term lower than
   * one already claimed is a deposed leader (e.g. a process paused past its lease). A new term demotes older ones here.
   */
  async function leads(conn: AgentConnection, claims: boolean, token: number | undefined): Promise<boolean> {
    if (!claims) return false
    if (token === undefined) return true
    conn.fencingToken = token
    if (!(await claimLeadership(deps.sql, conn.agent.id, conn.instanceId, token))) {
      conn.log.warn({ instanceId: conn.instanceId, fencingToken: token }, "refused a deposed leader's claim to lead")
      return false
    }
    for (const other of live.get(conn.agent.id)?.values() ?? [])
      if (other.conn !== conn && other.conn.leader && (other.conn.fencingToken ?? 0) < token) {
        other.conn.leader = false
        other.mux.closeAll("the agent has a new leader")
        await registry.touch(conn.agent.id, other.conn.id, { leader: false })
      }
    return true
  }

  /** A write (command outcome, session report) from a connection whose term is over is dropped, not applied. */
  async function late(conn: AgentConnection, what: string): Promise<boolean> {
    if (conn.fencingToken === null || !(await isDeposed(deps.sql, conn.agent.id, conn.fencingToken))) return false
    conn.log.warn({ instanceId: conn.instanceId, fencingToken: conn.fencingToken, what }, "refused a deposed leader's write")
    return true
  }

  const deliverHere = (agentId: string, command: Command) => leaderOf(agentId)?.conn.send(command) ?? false
  const router = createRouter({
    registry,
    cluster,
    replicaId,
    localLeader(agentId) {
      const l = leaderOf(agentId)
      return l && { send: (command) => l.conn.send(command), openStream: (id, h, ms) => l.mux.open(id, h, ms) }
    },
  })

  const core = createScheduler(
    deps,
    { candidates: router.candidates, reachable: router.reachable, deliver: router.deliver },
    {
      commandTimeoutMs: options.commandTimeoutMs,
      ackTimeoutMs: options.ackTimeoutMs ?? Math.min(2_000, Math.max(100, Math.floor(options.commandTimeoutMs / 8))),
      maxAttempts: options.maxAttempts ?? 5,
      healthyWithinMs: offlineAfterMs,
    },
  )

  async function greet(conn: AgentConnection): Promise<void> {
    const hello = conn.hello
    if (!hello) return
    const agent = conn.agent
    greeting.delete(conn)
    if (hello.platform !== agent.platform || hello.cluster !== agent.cluster)
      return conn.close(
        CloseCode.protocolError,
        `this token is for a ${agent.platform} agent in cluster ${agent.cluster}; hello says ${hello.platform}/${hello.cluster}`,
      )
    conn.leader = await leads(conn, hello.leader, hello.fencingToken)
    const instances = live.get(agent.id) ?? new Map<string, Live>()
    live.set(agent.id, instances)
    const previous = instances.get(hello.instanceId)
    if (previous) previous.conn.close(CloseCode.replaced, "replaced by a newer connection of the same agent instance")
    instances.set(hello.instanceId, { conn, mux: new StreamMux(conn), capacity: hello.capacity })
    const now = Date.now()
    await registry.put({
      agentId: agent.id,
      name: agent.name,
      instanceId: hello.instanceId,
      connectionId: conn.id,
      replicaId,
      platform: hello.platform,
      cluster: hello.cluster,
      leader: conn.leader,
      fencingToken: conn.fencingToken,
      capacity: hello.capacity,
      connectedAt: now,
      lastSeenAt: now,
    })
    const online = await deps.sql.begin(async (tx) => {
      const marked = await repo.markOnline(tx, agent.id, {
        version: hello.version,
        capacity: hello.capacity,
        leaderInstance: conn.leader ? hello.instanceId : null,
      })
      if (marked && !marked.wasOnline)
        await appendEvent(tx, "agent.connected", { agentId: agent.id, name: agent.name, instanceId: hello.instanceId })
      return marked
    })
    if (!online) return conn.close(CloseCode.tokenRevoked, "token revoked")
    log.info({ agentId: agent.id, agent: agent.name, instanceId: hello.instanceId, version: hello.version }, "agent connected")
    conn.send({
      type: "welcome",
      agentId: agent.id,
      heartbeatIntervalMs: options.heartbeatIntervalMs,
      sessions: await core.knownSessions(agent.id),
    })
    if (conn.leader) await core.commands.agentReady(agent.id)
    // Sessions that waited for an agent can be placed now.
    void core.commands.sweep()
  }

  async function control(conn: AgentConnection, message: AgentMessage): Promise<void> {
    const agentId = conn.agent.id
    switch (message.type) {
      case "hello":
        return greet(conn)
      case "heartbeat": {
        const l = live.get(agentId)?.get(conn.instanceId)
        if (l?.conn !== conn) return
        l.capacity = message.capacity
        const leading = await leads(conn, message.leader, message.fencingToken)
        const becameLeader = leading && !conn.leader
        conn.leader = leading
        await registry.touch(agentId, conn.id, {
          capacity: message.capacity,
          leader: leading,
          fencingToken: conn.fencingToken,
          lastSeenAt: Date.now(),
        })
        heartbeats.add({ id: agentId, capacity: message.capacity, leaderInstance: leading ? conn.instanceId : null })
        if (becameLeader) await core.commands.agentReady(agentId)
        if (leading) await core.applyHeartbeat(agentId, message.sessions)
        return
      }
      case "leader.changed": {
        const leading = await leads(conn, message.leader, message.fencingToken)
        if (!leading) {
          conn.leader = false
          await registry.touch(agentId, conn.id, { leader: false, fencingToken: conn.fencingToken })
          live.get(agentId)?.get(conn.instanceId)?.mux.closeAll("this agent replica no longer leads")
          return
        }
        // A new leader reconciles against what is placed here now before any command reaches it: the welcome goes
        // first, and only then does routing pick this connection.
        if (!conn.leader)
          conn.send({
            type: "welcome",
            agentId,
            heartbeatIntervalMs: options.heartbeatIntervalMs,
            sessions: await core.knownSessions(agentId),
          })
        conn.leader = true
        await registry.touch(agentId, conn.id, { leader: true, fencingToken: conn.fencingToken })
        await deps.sql`update agents set leader_instance = ${conn.instanceId} where id = ${agentId} and status = 'online'`
        return core.commands.agentReady(agentId)
      }
      case "command.ack":
        return core.commands.acked(agentId, message.commandId)
      case "command.result":
        if (await late(conn, message.type)) return
        return core.commands.succeeded(agentId, message.commandId, message.result)
      case "command.error":
        if (await late(conn, message.type)) return
        return core.commands.errored(agentId, message.commandId, message)
      case "session.status":
        if (await late(conn, message.type)) return
        return core.applyReport(agentId, { sessionId: message.sessionId, state: message.state, reason: message.reason })
      case "stream.opened":
      case "stream.close":
        return
    }
  }

  async function closed(conn: AgentConnection, code: number, reason: string): Promise<void> {
    greeting.delete(conn)
    const agentId = conn.agent.id
    const instances = live.get(agentId)
    const mine = instances?.get(conn.instanceId)
    if (mine?.conn === conn) {
      mine.mux.closeAll("the agent disconnected")
      instances?.delete(conn.instanceId)
      if (instances?.size === 0) live.delete(agentId)
    }
    await registry.remove(agentId, conn.id)
    if (!conn.hello) return
    log.info({ agentId, agent: conn.agent.name, instanceId: conn.instanceId, code, reason }, "agent disconnected")
    if ((await registry.instances(agentId)).length > 0) return
    await deps.sql.begin(async (tx) => {
      if (await repo.markOffline(tx, agentId))
        await appendEvent(tx, "agent.disconnected", { agentId, name: conn.agent.name, reason: reason || `code ${code}` })
    })
  }

  const handlers: ConnectionHandlers = {
    control,
    closed,
    stream(conn, item) {
      const mux = live.get(conn.agent.id)?.get(conn.instanceId)?.mux
      if (!mux) return
      if ("kind" in item) mux.frame(item)
      else if (item.type === "stream.opened" || item.type === "stream.close") mux.control(item)
    },
  }

  /** Silent connections are closed; agents the database still calls online with no connection anywhere go offline. */
  async function checkPresence(): Promise<void> {
    const now = Date.now()
    for (const conn of greeting)
      if (now - conn.connectedAt > helloTimeoutMs) conn.close(CloseCode.helloTimeout, `no hello within ${helloTimeoutMs} ms`)
    for (const instances of live.values())
      for (const { conn } of instances.values())
        if (now - conn.lastSeenAt > offlineAfterMs)
          conn.close(CloseCode.heartbeatTimeout, `no heartbeat for ${offlineAfterMs} ms`)
    const connected = [...new Set((await registry.list()).map((p) => p.agentId))]
    for (const stale of await repo.staleOnlineAgents(deps.sql, offlineAfterMs, connected))
      await deps.sql.begin(async (tx) => {
        if (await repo.markOffline(tx, stale.id))
          await appendEvent(tx, "agent.disconnected", { agentId: stale.id, name: stale.name, reason: "no heartbeat" })
      })
  }

  const timers: ReturnType<typeof setInterval>[] = []
  const connections: AgentConnections = {
    disconnect(agentId, reason) {
      for (const { conn } of live.get(agentId)?.values() ?? []) conn.close(CloseCode.tokenRevoked, reason)
      for (const conn of greeting) if (conn.agent.id === agentId) conn.close(CloseCode.tokenRevoked, reason)
    },
  }

  async function openLocalStream(sessionId: string, streamHandlers: StreamHandlers, timeoutMs = 10_000): Promise<AgentStream> {
    const session = await findSession(deps, sessionId)
    if (!session?.agentId) throw new StreamOpenFailed("The session is not placed on an agent.")
    const l = leaderOf(session.agentId)
    if (!l) throw new StreamOpenFailed("The session's agent is not connected to this control plane.")
    return l.mux.open(sessionId, streamHandlers, timeoutMs)
  }

  return {
    scheduler: core.scheduler,
    connections,
    registry,
    replicaId,
    /** Set when replicas share Redis: the replica-to-replica stream endpoint needs its secret. */
    cluster,
    /** A socket passed authentication: it becomes a connection that must say hello first. */
    accept(agent: Agent, ws: ServerWebSocket<SocketData>): AgentConnection {
      const conn = new AgentConnection(agent, ws, handlers, log.child({ agentId: agent.id, agent: agent.name }))
      greeting.add(conn)
      return conn
    },
    /** Opens a byte stream to a running session's VNC port through the agent that runs it, via its replica if need be. */
    async openStream(sessionId: string, streamHandlers: StreamHandlers, timeoutMs = 10_000): Promise<AgentStream> {
      const session = await findSession(deps, sessionId)
      if (!session?.agentId) throw new StreamOpenFailed("The session is not placed on an agent.")
      return router.openStream(session.agentId, sessionId, streamHandlers, timeoutMs)
    },
    openLocalStream,
    /** Resolves once every connection has handled what it received (tests use it to avoid sleeping). */
    async settled(): Promise<void> {
      await Promise.all([...live.values()].flatMap((m) => [...m.values()].map((l) => l.conn.settled())))
    },
    sweep: () => core.commands.sweep(),
    async start(): Promise<void> {
      await cluster?.start(deliverHere)
      const sweepMs = options.sweepIntervalMs ?? 500
      timers.push(setInterval(() => void core.commands.sweep(), sweepMs))
      timers.push(
        setInterval(
          () => void checkPresence().catch((err) => log.error({ err }, "agent presence check failed")),
          Math.min(options.heartbeatIntervalMs, 5_000),
        ),
      )
      void core.commands.sweep()
    },
    async stop(): Promise<void> {
      for (const t of timers.splice(0)) clearInterval(t)
      const all = [...[...live.values()].flatMap((m) => [...m.values()].map((l) => l.conn)), ...greeting]
      for (const conn of all) conn.close(CloseCode.goingAway, "the control plane is shutting down")
      // Their ends are recorded (agents offline) before the database goes away.
      await Promise.race([Promise.all(all.map((c) => c.gone)), Bun.sleep(3_000)])
      await heartbeats.stop()
      await cluster?.close()
      await registry.close()
    },
  }
}
export type AgentHub = ReturnType<typeof createAgentHub>
