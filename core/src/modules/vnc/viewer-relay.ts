// One browser viewer's desktop stream: WebSocket ⇄ RFB input filter ⇄ agent stream, credit both ways.
import type { ShareLevel } from "@streamspace/schemas"
import type { ServerWebSocket } from "bun"
import type { Logger } from "../../infra/log.ts"
import type { SessionStream, SessionStreams } from "./ports.ts"
import { RfbFilterError, RfbInputFilter } from "./rfb-input-filter.ts"
import type { ViewerRegistry } from "./viewer-registry.ts"

/** How the relay ends a viewer's WebSocket; the reason text says why in words. */
export const RelayClose = {
  textFrame: 1003,
  malformed: 1008,
  failed: 1011,
  /** The session is not reachable now (not running, agent away): asking again later may work. */
  tryAgain: 1013,
  shareRevoked: 4001,
  shareExpired: 4002,
} as const

/** The handlers Bun calls for this socket (Elysia's WebSocket dispatcher calls `ws.data.*`). */
export interface RelaySocketData {
  open(ws: ServerWebSocket<RelaySocketData>): void
  message(ws: ServerWebSocket<RelaySocketData>, data: string | Buffer): void
  drain(ws: ServerWebSocket<RelaySocketData>): void
  close(ws: ServerWebSocket<RelaySocketData>, code: number, reason: string): void
}

export interface ViewerRelayOptions {
  sessionId: string
  userId: string
  level: ShareLevel
  /** When the viewer's share ends (ms since epoch); null for owners, admins and open-ended shares. */
  shareExpiresAt: number | null
  streams: SessionStreams
  viewers: ViewerRegistry
  /** Waits until the session can take a stream (wakes it if it sleeps); rejects when it cannot. */
  ready(signal: AbortSignal): Promise<void>
  /** A forwarded input message: the viewer is active. */
  onInput(): void
  log: Logger
}

const MAX_TIMER_MS = 2 ** 31 - 1
const encoder = new TextEncoder()
/** WebSocket close reasons are limited to 123 bytes of UTF-8. */
const fitReason = (reason: string) => {
  let out = reason
  while (encoder.encode(out).byteLength > 123) out = `${out.slice(0, -2)}…`
  return out
}

export class ViewerRelay {
  private ws: ServerWebSocket<RelaySocketData> | null = null
  private stream: SessionStream | null = null
  /** Filtered viewer bytes that arrived before the stream opened. */
  private early: Uint8Array[] = []
  /** Bytes handed to the browser socket under backpressure: their credit goes back on drain. */
  private held = 0
  private ended = false
  private readonly filter: RfbInputFilter
  private readonly abort = new AbortController()
  private unregister: () => void = () => {}
  private expiry: Timer | null = null

  constructor(private readonly o: ViewerRelayOptions) {
    this.filter = new RfbInputFilter(o.level, { onInput: o.onInput })
  }

  socketData(): RelaySocketData {
    return {
      open: (ws) => void this.opened(ws),
      message: (_ws, data) => this.fromViewer(data),
      drain: () => this.drained(),
      close: () => this.end(null, "the viewer disconnected"),
    }
  }

  private async opened(ws: ServerWebSocket<RelaySocketData>): Promise<void> {
    const o = this.o
    this.ws = ws
    this.unregister = o.viewers.add({
      userId: o.userId,
      sessionId: o.sessionId,
      close: (reason) => this.end(RelayClose.shareRevoked, reason),
    })
    if (o.shareExpiresAt !== null)
      this.expiry = setTimeout(
        () => this.end(RelayClose.shareExpired, "Your share of this session expired."),
        Math.min(MAX_TIMER_MS, Math.max(0, o.shareExpiresAt - Date.now())),
      )
    try {
      await o.ready(this.abort.signal)
      if (this.ended) return
      const stream = await o.streams.openStream(o.sessionId, {
        onData: (bytes) => this.toViewer(bytes),
        onDrain: () => this.ws?.resume(),
        onClose: (reason) => this.end(RelayClose.failed, reason, false),
        manualCredit: true,
      })
      if (this.ended) return stream.close("the viewer left before the stream opened")
      this.stream = stream
      for (const part of this.early.splice(0)) this.toSession(part)
    } catch (error) {
      this.end(RelayClose.tryAgain, error instanceof Error ? error.message : String(error))
    }
  }

  private fromViewer(data: string | Buffer): void {
    if (this.ended) return
    if (typeof data === "string") {
      this.end(RelayClose.textFrame, "The desktop stream takes binary frames only.")
      return
    }
    let parts: Uint8Array[]
    try {
      parts = this.filter.push(data)
    } catch (error) {
      if (!(error instanceof RfbFilterError)) throw error
      this.end(RelayClose.malformed, error.message)
      return
    }
    for (const part of parts) {
      if (this.stream) this.toSession(part)
      else this.early.push(part)
    }
  }

  private toSession(part: Uint8Array): void {
    // Out of credit: stop reading the browser, so TCP holds it back, until the agent grants more.
    if (!this.stream?.write(part)) this.ws?.pause()
  }

  private toViewer(bytes: Uint8Array): void {
    const ws = this.ws
    const stream = this.stream
    if (!ws || !stream || this.ended) return
    const status = ws.sendBinary(bytes)
    if (status > 0) stream.consumed(bytes.byteLength)
    else if (status === -1) this.held += bytes.byteLength
    else this.end(RelayClose.failed, "The viewer's connection could not take more data.")
  }

  private drained(): void {
    if (this.held === 0) return
    const n = this.held
    this.held = 0
    this.stream?.consumed(n)
  }

  /** Ends both sides once; `code` null means the browser already went away. */
  private end(code: number | null, reason: string, closeStream = true): void {
    if (this.ended) return
    this.ended = true
    this.abort.abort()
    if (this.expiry) clearTimeout(this.expiry)
    this.unregister()
    if (closeStream) this.stream?.close(reason)
    if (code !== null) this.ws?.close(code, fitReason(reason))
    this.o.log.debug({ sessionId: this.o.sessionId, userId: this.o.userId, code, reason }, "viewer stream ended")
  }
}
