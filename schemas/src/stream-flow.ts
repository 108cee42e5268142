// Credit-based flow control of one stream, the same on both ends of the agent connection. Pure: frames go out through a callback.
import { encodeCredit, encodeFrame, FrameKind, MAX_STREAM_PAYLOAD_BYTES } from "./stream-frame.ts"

/** Bytes each end lets the other send before it has to wait; credit is returned as data is consumed. */
export const DEFAULT_STREAM_WINDOW = 1024 * 1024

export class StreamFlow {
  private sendCredit: number
  private readonly pending: Uint8Array[] = []
  private pendingBytes = 0
  /** Received and not yet returned as credit. */
  private outstanding = 0
  private consumedSinceGrant = 0

  constructor(
    readonly streamId: number,
    /** What this end lets the other send (announced in stream.open / stream.opened). */
    readonly receiveWindow: number,
    /** What the other end lets this one send. */
    sendWindow: number,
    private readonly emit: (frame: Uint8Array) => void,
  ) {
    this.sendCredit = sendWindow
  }

  /** Bytes written but held back for want of credit. */
  get queuedBytes(): number {
    return this.pendingBytes
  }

  /** Sends what credit allows and queues the rest; false means "stop writing until drained". */
  write(bytes: Uint8Array): boolean {
    if (bytes.byteLength > 0) {
      this.pending.push(bytes)
      this.pendingBytes += bytes.byteLength
    }
    this.flush()
    return this.pendingBytes === 0
  }

  /** The other end granted more credit (a credit frame). True when the queue drained by it. */
  granted(bytes: number): boolean {
    const hadQueue = this.pendingBytes > 0
    this.sendCredit += bytes
    this.flush()
    return hadQueue && this.pendingBytes === 0
  }

  /** A data frame arrived; false when the sender ignored the credit it was given. */
  received(bytes: number): boolean {
    this.outstanding += bytes
    return this.outstanding <= this.receiveWindow
  }

  /** The consumer is done with these bytes: credit goes back in batches of half a window. */
  consumed(bytes: number): void {
    this.outstanding = Math.max(0, this.outstanding - bytes)
    this.consumedSinceGrant += bytes
    if (this.consumedSinceGrant >= this.receiveWindow / 2) {
      this.emit(encodeCredit(this.streamId, this.consumedSinceGrant))
      this.consumedSinceGrant = 0
    }
  }

  private flush(): void {
    while (this.pending.length > 0 && this.sendCredit > 0) {
      const head = this.pending[0] as Uint8Array
      const size = Math.min(head.byteLength, this.sendCredit, MAX_STREAM_PAYLOAD_BYTES)
      this.emit(encodeFrame(FrameKind.data, this.streamId, head.subarray(0, size)))
      this.sendCredit -= size
      this.pendingBytes -= size
      if (size === head.byteLength) this.pending.shift()
      else this.pending[0] = head.subarray(size)
    }
  }
}
