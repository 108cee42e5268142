// Byte streams to sessions over an agent's connection (the seam the VNC relay plugs into): open, data, credit, close.
import { creditOf, DEFAULT_STREAM_WINDOW, FrameKind, type StreamFrame, StreamFlow } from "@streamspace/schemas"
import type { AgentConnection } from "./connection.ts"

export interface StreamHandlers {
  /** Bytes from the session. Credit goes back to the agent once this returns, unless `manualCredit`. */
  onData(bytes: Uint8Array): void
  /** The write queue drained: the caller may write again. */
  onDrain?(): void
  onClose(reason: string): void
  /** The caller reports consumed bytes itself with `consumed(n)` (e.g. after its own socket drained). */
  manualCredit?: boolean
}

export interface AgentStream {
  readonly streamId: number
  readonly sessionId: string
  /** False: the agent's credit is used up; wait for onDrain before writing more. */
  write(bytes: Uint8Array): boolean
  consumed(bytes: number): void
  close(reason?: string): void
}

export class StreamOpenFailed extends Error {}

interface Entry {
  sessionId: string
  handlers: StreamHandlers
  flow: StreamFlow | null
  opened: { resolve(s: AgentStream): void; reject(e: Error): void } | null
  timer: ReturnType<typeof setTimeout> | null
}

const MAX_STREAM_ID = 0xffffffff

/** The streams of one agent connection. */
export class StreamMux {
  private readonly streams = new Map<number, Entry>()
  private nextId = 1

  constructor(
    private readonly conn: AgentConnection,
    private readonly window = DEFAULT_STREAM_WINDOW,
  ) {}

  get size(): number {
    return this.streams.size
  }

  open(sessionId: string, handlers: StreamHandlers, timeoutMs: number): Promise<AgentStream> {
    const streamId = this.allocate()
    return new Promise((resolve, reject) => {
      const entry: Entry = { sessionId, handlers, flow: null, opened: { resolve, reject }, timer: null }
      entry.timer = setTimeout(
        () => this.end(streamId, `the agent did not open the stream within ${timeoutMs} ms`, true),
        timeoutMs,
      )
      this.streams.set(streamId, entry)
      if (!this.conn.send({ type: "stream.open", streamId, sessionId, credit: this.window }))
        this.end(streamId, "the agent connection is closed", false)
    })
  }

  /** stream.opened / stream.close from the agent. */
  control(
    message:
      | { type: "stream.opened"; streamId: number; credit: number }
      | { type: "stream.close"; streamId: number; reason?: string },
  ) {
    const entry = this.streams.get(message.streamId)
    if (!entry) return
    if (message.type === "stream.close") return this.end(message.streamId, message.reason ?? "closed by the agent", false)
    if (!entry.opened) return
    if (entry.timer) clearTimeout(entry.timer)
    const flow = new StreamFlow(message.streamId, this.window, message.credit, (f) => this.conn.sendBinary(f))
    entry.flow = flow
    const opened = entry.opened
    entry.opened = null
    opened.resolve({
      streamId: message.streamId,
      sessionId: entry.sessionId,
      write: (bytes) => (this.streams.has(message.streamId) ? flow.write(bytes) : false),
      consumed: (n) => flow.consumed(n),
      close: (reason = "closed by the control plane") => this.end(message.streamId, reason, true),
    })
  }

  frame(frame: StreamFrame): void {
    const entry = this.streams.get(frame.streamId)
    const flow = entry?.flow
    if (!entry || !flow) return
    if (frame.kind === FrameKind.credit) {
      if (flow.granted(creditOf(frame))) entry.handlers.onDrain?.()
      return
    }
    if (!flow.received(frame.payload.byteLength)) {
      this.end(frame.streamId, "the agent sent more than its credit", true)
      return
    }
    entry.handlers.onData(frame.payload)
    if (!entry.handlers.manualCredit) flow.consumed(frame.payload.byteLength)
  }

  /** The connection is gone: every stream on it ends. */
  closeAll(reason: string): void {
    for (const id of [...this.streams.keys()]) this.end(id, reason, false)
  }

  private end(streamId: number, reason: string, tellAgent: boolean): void {
    const entry = this.streams.get(streamId)
    if (!entry) return
    this.streams.delete(streamId)
    if (entry.timer) clearTimeout(entry.timer)
    if (tellAgent) this.conn.send({ type: "stream.close", streamId, reason: reason.slice(0, 500) })
    if (entry.opened) entry.opened.reject(new StreamOpenFailed(reason))
    else entry.handlers.onClose(reason)
  }

  private allocate(): number {
    for (;;) {
      const id = this.nextId
      this.nextId = id >= MAX_STREAM_ID ? 1 : id + 1
      if (!this.streams.has(id)) return id
    }
  }
}
