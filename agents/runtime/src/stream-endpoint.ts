// The agent's end of byte streams: stream.open from the core connects a peer (the session's VNC server), then frames flow with credit.
import {
  type AgentMessage,
  creditOf,
  DEFAULT_STREAM_WINDOW,
  FrameKind,
  type StreamFrame,
  StreamFlow,
  type StreamOpen,
} from "@streamspace/schemas"
import type { Logger } from "pino"

/** What a peer uses to reach the core's end of its stream. */
export interface StreamPort {
  send(bytes: Uint8Array): void
  /** The peer ended; the core is told why. */
  close(reason: string): void
}

/** The thing a stream connects to. */
export interface StreamPeer {
  /** Bytes from the core. */
  write(bytes: Uint8Array): void
  /** Stop producing (the core's credit ran out) / go on. */
  pause(): void
  resume(): void
  /** End it; the core asked for this or went away. */
  close(): void
}

/**
 * Connects a stream to a session. `consumed(n)` reports bytes from the core that the peer has
 * finished with, which returns them to the core as credit. Rejects with a reason the core sees.
 */
export type StreamConnector = (sessionId: string, port: StreamPort, consumed: (bytes: number) => void) => Promise<StreamPeer>

interface Entry {
  flow: StreamFlow
  peer: StreamPeer | null
  /** Frames produced before stream.opened went out; they must follow it. */
  early: Uint8Array[] | null
}

export class StreamEndpoint {
  private readonly streams = new Map<number, Entry>()

  constructor(
    private readonly connector: StreamConnector,
    private readonly send: (message: AgentMessage) => boolean,
    private readonly sendBinary: (frame: Uint8Array) => void,
    private readonly log: Logger,
    private readonly window = DEFAULT_STREAM_WINDOW,
  ) {}

  get size(): number {
    return this.streams.size
  }

  async open(request: StreamOpen): Promise<void> {
    const { streamId, sessionId } = request
    if (this.streams.has(streamId)) return this.end(streamId, "stream id already in use", true)
    const early: Uint8Array[] = []
    const flow = new StreamFlow(streamId, this.window, request.credit, (frame) => {
      // A frame is only valid during this call (StreamFlow reuses its buffer): keep a copy.
      if (entry.early) entry.early.push(frame.slice())
      else this.sendBinary(frame)
    })
    const entry: Entry = { flow, peer: null, early }
    this.streams.set(streamId, entry)
    const port: StreamPort = {
      send: (bytes) => {
        if (this.streams.get(streamId) === entry && !entry.flow.write(bytes)) entry.peer?.pause()
      },
      close: (reason) => this.end(streamId, reason, true),
    }
    try {
      const peer = await this.connector(sessionId, port, (n) => entry.flow.consumed(n))
      if (this.streams.get(streamId) !== entry) return peer.close()
      entry.peer = peer
    } catch (err) {
      return this.end(streamId, err instanceof Error ? err.message : String(err), true)
    }
    this.send({ type: "stream.opened", streamId, credit: this.window })
    for (const frame of entry.early ?? []) this.sendBinary(frame)
    entry.early = null
    if (entry.flow.queuedBytes > 0) entry.peer.pause()
    this.log.debug({ streamId, sessionId }, "stream opened")
  }

  frame(frame: StreamFrame): void {
    const entry = this.streams.get(frame.streamId)
    if (!entry?.peer) return
    if (frame.kind === FrameKind.credit) {
      if (entry.flow.granted(creditOf(frame))) entry.peer.resume()
      return
    }
    if (entry.flow.received(frame.payload.byteLength)) entry.peer.write(frame.payload)
    else this.end(frame.streamId, "the core sent more than its credit", true)
  }

  /** stream.close from the core. */
  close(streamId: number): void {
    this.end(streamId, "", false)
  }

  /** The connection to the core is gone: every stream ends with it. */
  closeAll(): void {
    for (const id of [...this.streams.keys()]) this.end(id, "", false)
  }

  private end(streamId: number, reason: string, tellCore: boolean): void {
    const entry = this.streams.get(streamId)
    this.streams.delete(streamId)
    entry?.peer?.close()
    if (tellCore) this.send({ type: "stream.close", streamId, reason: reason.slice(0, 500) })
    if (reason) this.log.debug({ streamId, reason }, "stream closed")
  }
}
