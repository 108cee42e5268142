// A fake agent for core tests: a raw protocol v1 client the test scripts frame by frame (the real agent is tested end to end elsewhere).
import type { Capacity, CoreMessage, Hello, SessionReport } from "@streamspace/schemas"

type Of<T extends CoreMessage["type"]> = Extract<CoreMessage, { type: T }>

export interface FakeAgentOptions {
  /** Fields of the hello to override; `false` sends none. */
  hello?: Partial<Hello> | false
  /** Answer every command with command.ack as it arrives. */
  autoAck?: boolean
  /** Send heartbeats at the interval the welcome names, listing `sessions`. */
  autoHeartbeat?: boolean
}

export const fakeCapacity = (maxSessions = 10, runningSessions = 0): Capacity => ({ maxSessions, runningSessions })

export class FakeAgent {
  readonly messages: CoreMessage[] = []
  readonly binary: Uint8Array[] = []
  readonly closed: Promise<{ code: number; reason: string }>
  /** What automatic heartbeats report. */
  sessions: SessionReport[] = []
  capacity = fakeCapacity()
  /** What heartbeats say about leadership: leading by default, with no fencing token. */
  leader = true
  fencingToken: number | undefined = undefined
  private waiters: (() => void)[] = []
  private cursor = new Map<string, number>()
  private beat: ReturnType<typeof setInterval> | null = null

  private constructor(
    readonly ws: WebSocket,
    readonly options: FakeAgentOptions,
  ) {
    this.closed = new Promise((resolve) => ws.addEventListener("close", (e) => resolve({ code: e.code, reason: e.reason })))
    ws.binaryType = "arraybuffer"
    ws.addEventListener("message", (e) => {
      if (typeof e.data !== "string") this.binary.push(new Uint8Array(e.data as ArrayBuffer))
      else {
        const message = JSON.parse(e.data) as CoreMessage
        this.messages.push(message)
        if (message.type === "command" && options.autoAck) this.send({ type: "command.ack", commandId: message.commandId })
        if (message.type === "welcome" && options.autoHeartbeat && !this.beat)
          this.beat = setInterval(() => this.heartbeat(this.sessions, this.capacity), message.heartbeatIntervalMs / 2)
      }
      for (const wake of this.waiters.splice(0)) wake()
    })
    ws.addEventListener("close", () => {
      if (this.beat) clearInterval(this.beat)
      for (const wake of this.waiters.splice(0)) wake()
    })
  }

  /** Connects; rejects with the server's refusal (e.g. "…401…") when the upgrade is refused. */
  static connect(baseUrl: string, token: string | null, options: FakeAgentOptions = {}): Promise<FakeAgent> {
    const url = `${baseUrl.replace(/^http/, "ws")}/api/v1/agents/connect`
    const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {}
    // Bun's WebSocket takes headers: agents are not browsers.
    const ws = new WebSocket(url, { headers } as unknown as string[])
    return new Promise((resolve, reject) => {
      ws.addEventListener("open", () => resolve(new FakeAgent(ws, options)), { once: true })
      ws.addEventListener("error", (e) => reject(new Error((e as ErrorEvent).message ?? "connection refused")), { once: true })
    })
  }

  /** Connects, says hello and waits for the welcome. */
  static async online(baseUrl: string, token: string, options: FakeAgentOptions = {}): Promise<FakeAgent> {
    const agent = await FakeAgent.connect(baseUrl, token, options)
    await agent.sayHello(options.hello || {})
    return agent
  }

  async sayHello(overrides: Partial<Hello> = {}): Promise<Of<"welcome">> {
    this.leader = overrides.leader ?? true
    this.fencingToken = overrides.fencingToken
    this.send({
      type: "hello",
      protocol: 1,
      instanceId: "fake-1",
      platform: "docker",
      cluster: "default",
      version: "0.0.0-fake",
      capacity: this.capacity,
      leader: true,
      ...overrides,
    })
    return this.next("welcome")
  }

  send(message: object | string | Uint8Array): void {
    this.ws.send(typeof message === "string" || message instanceof Uint8Array ? message : JSON.stringify(message))
  }

  heartbeat(sessions: SessionReport[] = [], capacity = fakeCapacity(10, sessions.length)): void {
    const term = this.fencingToken === undefined ? {} : { fencingToken: this.fencingToken }
    this.send({ type: "heartbeat", capacity, leader: this.leader, ...term, sessions })
  }

  /** The next message of this type not yet returned by `next`, waiting for it if need be. */
  async next<T extends CoreMessage["type"]>(
    type: T,
    timeoutMs = 5_000,
    where: (m: Of<T>) => boolean = () => true,
  ): Promise<Of<T>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const from = this.cursor.get(type) ?? 0
      const index = this.messages.findIndex((m, i) => i >= from && m.type === type && where(m as Of<T>))
      if (index >= 0) {
        this.cursor.set(type, index + 1)
        return this.messages[index] as Of<T>
      }
      if (this.ws.readyState === WebSocket.CLOSED) throw new Error(`connection closed while waiting for ${type}`)
      const left = deadline - Date.now()
      if (left <= 0) throw new Error(`no ${type} within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left)
        this.waiters.push(() => {
          clearTimeout(timer)
          resolve()
        })
      })
    }
  }

  count(type: CoreMessage["type"]): number {
    return this.messages.filter((m) => m.type === type).length
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close(1000, "test done")
    return this.closed
  }
}
