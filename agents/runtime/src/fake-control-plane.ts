// A fake control plane for the runtime's unit tests: accepts one token, welcomes agents, and lets the test script the rest.
import type { AgentMessage, CoreMessage, Welcome } from "@streamspace/schemas"
import type { Server, ServerWebSocket } from "bun"

type Of<T extends AgentMessage["type"]> = Extract<AgentMessage, { type: T }>

export class FakeControlPlane {
  readonly messages: AgentMessage[] = []
  readonly binary: Uint8Array[] = []
  /** Every accepted upgrade, in order. */
  connections = 0
  /** What the welcome tells the agent it holds. */
  sessions: Welcome["sessions"] = []
  heartbeatIntervalMs = 100
  private socket: ServerWebSocket<unknown> | null = null
  private readonly server: Server<unknown>
  private cursor = new Map<string, number>()
  private waiters: (() => void)[] = []

  constructor(
    readonly token: string,
    port = 0,
  ) {
    this.server = Bun.serve({
      port,
      hostname: "127.0.0.1",
      fetch: (req, server) => {
        if (req.headers.get("authorization") !== `Bearer ${this.token}`) return new Response("no", { status: 401 })
        if (req.headers.get("upgrade") !== "websocket") return new Response("upgrade", { status: 400 })
        return server.upgrade(req, { data: {} }) ? undefined : new Response("failed", { status: 500 })
      },
      websocket: {
        open: (ws) => {
          this.connections++
          this.socket = ws
        },
        message: (_ws, data) => {
          if (typeof data !== "string") this.binary.push(new Uint8Array(data))
          else {
            const message = JSON.parse(data) as AgentMessage
            this.messages.push(message)
            if (message.type === "hello")
              this.send({
                type: "welcome",
                agentId: "00000000-0000-4000-8000-000000000001",
                heartbeatIntervalMs: this.heartbeatIntervalMs,
                sessions: this.sessions,
              })
          }
          for (const w of this.waiters.splice(0)) w()
        },
        close: (ws) => {
          if (this.socket === ws) this.socket = null
        },
      },
    })
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`
  }

  get port(): number {
    return this.server.port as number
  }

  send(message: CoreMessage | Uint8Array): void {
    this.socket?.send(message instanceof Uint8Array ? message : JSON.stringify(message))
  }

  drop(code = 1001, reason = "going away"): void {
    this.socket?.close(code, reason)
  }

  async next<T extends AgentMessage["type"]>(
    type: T,
    where: (m: Of<T>) => boolean = () => true,
    timeoutMs = 5_000,
  ): Promise<Of<T>> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const from = this.cursor.get(type) ?? 0
      const i = this.messages.findIndex((m, n) => n >= from && m.type === type && where(m as Of<T>))
      if (i >= 0) {
        this.cursor.set(type, i + 1)
        return this.messages[i] as Of<T>
      }
      if (Date.now() > deadline) throw new Error(`no ${type} within ${timeoutMs} ms`)
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 50)
        this.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
  }

  stop(): void {
    this.server.stop(true)
  }
}
