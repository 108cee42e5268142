// The shared agent: speaks protocol v1 to the control plane for one SessionDriver (hello, heartbeats, commands, streams, reconcile).
import {
  type AgentMessage,
  type Capacity,
  type CoreMessage,
  decodeCoreMessage,
  decodeFrame,
  PROTOCOL_VERSION,
  type SessionReport,
  type SessionState,
  type Welcome,
} from "@streamspace/schemas"
import type { Logger } from "pino"
import type { BackoffOptions } from "./backoff.ts"
import { CommandRouter } from "./command-router.ts"
import { HubConnection } from "./hub-connection.ts"
import type { DeposedReason, LeaderElector } from "./leader/leader-elector.ts"
import type { SessionDriver } from "./session-driver.ts"
import { type StreamConnector, StreamEndpoint } from "./stream-endpoint.ts"
import { vncConnector } from "./vnc-connector.ts"

export interface AgentRuntimeOptions {
  /** Control-plane base URLs (http[s]://host:port), tried in turn. */
  urls: readonly string[]
  token: string
  /** This replica of the agent; stable across restarts of the same replica. */
  instanceId: string
  cluster?: string
  version: string
  driver: SessionDriver
  log: Logger
  backoff?: BackoffOptions
  /** Where streams go; default: the session's VNC server through the RFB security proxy. */
  connector?: StreamConnector
  /**
   * Several replicas of one agent: only the elected one executes commands and holds streams; the others stay
   * connected as followers. The runtime starts it with itself and stops (releases) it first on stop().
   * Without one, this replica always leads.
   */
  elector?: LeaderElector
  /**
   * A leader cut off from every control plane this long gives its lease up (and does not try again for as long), so
   * a replica that can still reach one leads instead. Default 10 s: brief outages and replica failovers do not move it.
   */
  leaderCutOffMs?: number
}

export type AgentStatus = "connecting" | "online" | "refused" | "stopped"

/** Sessions that hold a workload here; one missing from the driver's list has vanished. */
const HELD: readonly SessionState[] = ["running", "hibernated"]

export class AgentRuntime {
  status: AgentStatus = "stopped"
  agentId: string | null = null
  /** Why the control plane refused this agent, once it has. */
  refusal: string | null = null
  readonly router: CommandRouter
  readonly streams: StreamEndpoint
  private readonly hub: HubConnection
  private readonly held = new Map<string, SessionState>()
  private heartbeat: ReturnType<typeof setInterval> | null = null
  private cutOff: ReturnType<typeof setTimeout> | null = null
  private beating = false
  private lastCapacity: Capacity = { maxSessions: 0, runningSessions: 0 }
  private waiters: (() => void)[] = []
  private finish: (status: "refused" | "stopped") => void = () => {}
  /** Resolves when the agent has stopped for good: refused by the control plane, or stopped. */
  readonly done = new Promise<"refused" | "stopped">((resolve) => {
    this.finish = resolve
  })

  constructor(private readonly options: AgentRuntimeOptions) {
    const { log, driver } = options
    this.hub = new HubConnection(
      options.urls,
      options.token,
      {
        opened: () => void this.sayHello(),
        text: (data) => this.receive(data),
        binary: (data) => {
          const frame = decodeFrame(data)
          if (frame) this.streams.frame(frame)
          else this.hub.close(1008, "malformed binary frame")
        },
        closed: (code, reason) => this.disconnected(code, reason),
        refused: (reason) => this.refused(reason),
      },
      log,
      options.backoff,
    )
    const send = (message: AgentMessage) => this.hub.send(JSON.stringify(message))
    const mayAct = () => this.leader
    this.router = new CommandRouter(driver, send, { sessionChanged: (r) => this.track(r) }, log, mayAct)
    this.streams = new StreamEndpoint(options.connector ?? vncConnector(driver), send, (f) => void this.hub.send(f), log)
    options.elector?.onElected((fencingToken) => this.elected(fencingToken))
    options.elector?.onDeposed((reason) => this.deposed(reason))
  }

  /** Asked at every decision to act, not cached: a lease that ran out while this process was paused counts at once. */
  get leader(): boolean {
    return this.options.elector?.isLeader ?? true
  }

  /** What hello and heartbeats say about leadership. */
  private get term(): { leader: boolean; fencingToken?: number } {
    const token = this.options.elector?.fencingToken ?? null
    return token === null ? { leader: this.leader } : { leader: true, fencingToken: token }
  }

  start(): void {
    this.status = "connecting"
    this.hub.start()
    this.options.elector?.start()
  }

  /** Stops; with an elector, releases the lease first (a follower takes over at once) and says so to the core. */
  async stop(): Promise<void> {
    this.connectedAgain()
    await this.options.elector?.stop()
    this.status = "stopped"
    this.stopBeating()
    this.hub.stop()
    this.streams.closeAll()
    this.wake()
    this.finish("stopped")
  }

  /** Resolves once welcomed (or refused, or stopped). */
  async whenOnline(): Promise<AgentStatus> {
    while (this.status === "connecting") await new Promise<void>((resolve) => this.waiters.push(resolve))
    return this.status
  }

  /** Reports a change the control plane did not ask for (e.g. a container that exited). */
  report(report: SessionReport): void {
    this.track(report)
    this.send({ type: "session.status", ...report })
  }

  private send(message: AgentMessage): boolean {
    return this.hub.send(JSON.stringify(message))
  }

  private async sayHello(): Promise<void> {
    const capacity = await this.options.driver.capacity().catch(() => this.lastCapacity)
    this.lastCapacity = capacity
    this.send({
      type: "hello",
      protocol: PROTOCOL_VERSION,
      instanceId: this.options.instanceId,
      platform: this.options.driver.platform,
      cluster: this.options.cluster ?? "default",
      version: this.options.version,
      capacity,
      ...this.term,
    })
  }

  private receive(data: string): void {
    const decoded = decodeCoreMessage(data)
    if (!decoded.ok) {
      this.options.log.error({ error: decoded.error }, "the control plane sent a frame this agent does not understand")
      this.hub.close(1008, decoded.error.slice(0, 120))
      return
    }
    const message: CoreMessage = decoded.message
    if (message.type === "welcome") this.welcomed(message)
    else if (message.type === "command") this.router.handle(message)
    else if (message.type === "stream.open" && !this.leader)
      this.send({ type: "stream.close", streamId: message.streamId, reason: "this agent replica does not lead" })
    else if (message.type === "stream.open") void this.streams.open(message)
    else if (message.type === "stream.close") this.streams.close(message.streamId)
  }

  private welcomed(welcome: Welcome): void {
    this.agentId = welcome.agentId
    this.hub.connected()
    this.status = "online"
    this.options.log.info({ agentId: welcome.agentId, sessions: welcome.sessions.length }, "welcomed by the control plane")
    this.connectedAgain()
    // Only the leader reconciles: it removes containers the core does not know, and a follower's view may be stale.
    if (this.leader) this.router.holdUntil(this.reconcile(welcome.sessions))
    this.stopBeating()
    this.heartbeat = setInterval(() => void this.beat(), welcome.heartbeatIntervalMs)
    this.wake()
  }

  /** After every (re)connect: the driver adopts, reports or removes workloads against the core's record. */
  private async reconcile(known: Welcome["sessions"]): Promise<void> {
    try {
      const reports = await this.options.driver.reconcile(known.map((s) => s.sessionId))
      const recorded = new Map(known.map((s) => [s.sessionId, s.state]))
      this.held.clear()
      for (const report of reports) {
        this.track(report)
        // Workloads of sessions the core does not place here were removed; only known ones are news.
        const was = recorded.get(report.sessionId)
        if (was && was !== report.state) this.send({ type: "session.status", ...report })
      }
    } catch (err) {
      this.options.log.error({ err }, "reconcile failed; commands go ahead without it")
    }
  }

  private track(report: SessionReport): void {
    if (HELD.includes(report.state)) this.held.set(report.sessionId, report.state)
    else this.held.delete(report.sessionId)
  }

  private async beat(): Promise<void> {
    if (this.beating) return
    this.beating = true
    try {
      // A follower neither watches nor reports sessions: that is the leader's job, and its view would race the leader's.
      if (!this.leader) {
        this.send({ type: "heartbeat", capacity: await this.options.driver.capacity(), ...this.term, sessions: [] })
        return
      }
      const [capacity, sessions] = await Promise.all([this.options.driver.capacity(), this.options.driver.list()])
      this.lastCapacity = capacity
      const listed = new Set(sessions.map((s) => s.sessionId))
      for (const [sessionId] of this.held)
        if (!listed.has(sessionId) && !this.router.busy(sessionId))
          this.report({ sessionId, state: "failed", reason: "The session's workload disappeared from this host." })
      for (const s of sessions) if (!this.router.busy(s.sessionId)) this.track(s)
      this.send({ type: "heartbeat", capacity, ...this.term, sessions })
    } catch (err) {
      // Still alive, but unable to take new sessions until the platform answers again.
      this.options.log.error({ err }, "the platform did not answer; heartbeat without sessions")
      this.send({ type: "heartbeat", capacity: { ...this.lastCapacity, maxSessions: 0 }, ...this.term, sessions: [] })
    } finally {
      this.beating = false
    }
  }

  /**
   * Elected: tell the core, which answers with a fresh welcome (the sessions placed here now) before it sends
   * commands; welcomed() reconciles against it — adopting the running containers by label — and holds commands until then.
   * Not connected: the next hello says it.
   */
  private elected(fencingToken: number): void {
    this.send({ type: "leader.changed", leader: true, fencingToken })
  }

  /** Deposed: stop acting at once. Streams end; commands not yet under way are refused (the router asks mayAct). */
  private deposed(reason: DeposedReason): void {
    this.streams.closeAll()
    this.held.clear()
    this.options.log.warn({ reason }, "no longer leading: streams closed, commands refused")
    this.send({ type: "leader.changed", leader: false })
  }

  private disconnected(code: number, reason: string): void {
    this.stopBeating()
    this.streams.closeAll()
    this.watchCutOff()
    if (this.status === "online") this.status = "connecting"
    this.options.log.warn({ code, reason: reason || undefined }, "disconnected from the control plane")
  }

  private refused(reason: string): void {
    this.refusal = reason
    this.status = "refused"
    this.stopBeating()
    this.hub.stop()
    this.options.log.error({ reason }, "the control plane refused this agent; not retrying")
    this.wake()
    this.finish("refused")
  }

  /** Disconnected: if this replica leads and stays cut off, another replica that can reach a control plane should. */
  private watchCutOff(): void {
    const { elector } = this.options
    if (!elector || this.cutOff) return
    const afterMs = this.options.leaderCutOffMs ?? 10_000
    this.cutOff = setTimeout(() => {
      this.cutOff = null
      if (this.status !== "connecting" || !this.leader) return
      this.options.log.warn({ afterMs }, "no control plane reachable: giving the lease up for a replica that can reach one")
      void elector.resign(afterMs)
    }, afterMs)
  }

  private connectedAgain(): void {
    if (this.cutOff) clearTimeout(this.cutOff)
    this.cutOff = null
  }

  private stopBeating(): void {
    if (this.heartbeat) clearInterval(this.heartbeat)
    this.heartbeat = null
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w()
  }
}
