// One agent's WebSocket: checks every frame, demands hello first, handles control frames in order.
import {
  type Agent,
  type AgentMessage,
  type CoreMessage,
  decodeAgentMessage,
  decodeFrame,
  type Hello,
  MAX_STREAM_PAYLOAD_BYTES,
  STREAM_HEADER_BYTES,
  type StreamFrame,
} from "@streamspace/schemas"
import type { ServerWebSocket } from "bun"
import type { Logger } from "../../infra/log.ts"

/** Close codes the hub uses; the reason text says what happened in words. */
export const CloseCode = {
  normal: 1000,
  goingAway: 1001,
  protocolError: 1008,
  tooBig: 1009,
  internalError: 1011,
  replaced: 4000,
  heartbeatTimeout: 4001,
  helloTimeout: 4002,
  tokenRevoked: 4003,
} as const

export interface ConnectionHandlers {
  /** Control frames, one at a time in arrival order (they touch the database). */
  control(conn: AgentConnection, message: AgentMessage): Promise<void>
  /** Stream frames and stream.* messages need no database and must not wait behind it. */
  stream(conn: AgentConnection, frame: StreamFrame | AgentMessage): void
  closed(conn: AgentConnection, code: number, reason: string): void
}

/** Data Bun keeps on the socket: the hub's dispatch functions (see connect-route.ts). */
export interface SocketData {
  open(ws: ServerWebSocket<SocketData>): void
  message(ws: ServerWebSocket<SocketData>, data: string | Buffer): void
  close(ws: ServerWebSocket<SocketData>, code: number, reason: string): void
  drain(ws: ServerWebSocket<SocketData>): void
}

const MAX_BINARY_FRAME = STREAM_HEADER_BYTES + MAX_STREAM_PAYLOAD_BYTES
const encoder = new TextEncoder()

/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
const fitReason = (reason: string) => {
  let out = reason
  while (encoder.encode(out).byteLength > 123) out = `${out.slice(0, -2)}…`
  return out
}

export class AgentConnection {
  readonly id = crypto.randomUUID()
  readonly connectedAt = Date.now()
  lastSeenAt = Date.now()
  hello: Hello | null = null
  leader = false
  /** The leadership term this connection last claimed (agents with leader election); null: none claimed. */
  fencingToken: number | null = null
  private closed = false
  private queue: Promise<void> = Promise.resolve()
  private markGone: () => void = () => {}
  /** Resolves once the hub has handled this connection's end. */
  readonly gone = new Promise<void>((resolve) => {
    this.markGone = resolve
  })

  constructor(
    readonly agent: Agent,
    private readonly ws: ServerWebSocket<SocketData>,
    private readonly handlers: ConnectionHandlers,
    readonly log: Logger,
  ) {}

  get instanceId(): string {
    return this.hello?.instanceId ?? "(before hello)"
  }

  get isOpen(): boolean {
    return !this.closed
  }

  receive(data: string | Buffer): void {
    if (this.closed) return
    this.lastSeenAt = Date.now()
    if (typeof data === "string") this.receiveText(data)
    else this.receiveBinary(data)
  }

  private receiveText(data: string): void {
    const decoded = decodeAgentMessage(data)
    if (!decoded.ok) {
      const tooBig = decoded.error.startsWith("text frame exceeds")
      this.close(tooBig ? CloseCode.tooBig : CloseCode.protocolError, decoded.error)
      return
    }
    const message = decoded.message
    const misplaced = !this.hello
      ? message.type !== "hello" && `expected hello first, got ${message.type}`
      : message.type === "hello" && "hello was already received on this connection"
    if (misplaced) {
      this.close(CloseCode.protocolError, misplaced)
      return
    }
    if (message.type === "hello") {
      this.hello = message
      this.leader = message.leader
    }
    if (message.type === "stream.opened" || message.type === "stream.close") {
      this.handlers.stream(this, message)
      return
    }
    this.queue = this.queue
      .then(() => this.handlers.control(this, message))
      .catch((err) => {
        this.log.error({ err, type: message.type }, "handling an agent message failed")
        if (message.type === "hello") this.close(CloseCode.internalError, "the control plane could not register this agent")
      })
  }

  private receiveBinary(data: Buffer): void {
    const frame = this.hello && data.byteLength <= MAX_BINARY_FRAME ? decodeFrame(data) : null
    if (frame) this.handlers.stream(this, frame)
    else if (!this.hello) this.close(CloseCode.protocolError, "expected hello first, got a binary frame")
    else if (data.byteLength > MAX_BINARY_FRAME)
      this.close(CloseCode.tooBig, `binary frame of ${data.byteLength} bytes exceeds the limit of ${MAX_BINARY_FRAME}`)
    else this.close(CloseCode.protocolError, "malformed binary frame (bad kind, stream id 0 or bad credit size)")
  }

  send(message: CoreMessage): boolean {
    if (this.closed) return false
    return this.ws.send(JSON.stringify(message)) > 0
  }

  /** Bun's send status: >0 sent, -1 queued under backpressure, 0 dropped. */
  sendBinary(frame: Uint8Array): number {
    if (this.closed) return 0
    return this.ws.sendBinary(frame)
  }

  close(code: number, reason: string): void {
    if (this.closed) return
    this.closed = true
    this.log.info({ code, reason }, "closing agent connection")
    this.ws.close(code, fitReason(reason))
  }

  /** Called by Bun when the socket is gone, whoever closed it. */
  onClosed(code: number, reason: string): void {
    this.closed = true
    // Let in-flight control frames finish first, so "closed" is the last thing the hub hears.
    this.queue = this.queue
      .then(() => this.handlers.closed(this, code, reason))
      .catch((err) => this.log.error({ err }, "handling the end of an agent connection failed"))
      .finally(() => this.markGone())
  }

  /** Resolves when every control frame received so far has been handled. */
  settled(): Promise<void> {
    return this.queue
  }
}
