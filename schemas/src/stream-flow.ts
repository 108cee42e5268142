// Credit-based flow control of one stream, the same on both ends of the agent connection. Pure: frames go out through a callback.
import { encodeCredit, FrameKind, MAX_STREAM_PAYLOAD_BYTES, STREAM_HEADER_BYTES } from "./stream-frame.ts"

/**
 * Bytes each end lets the other send before it has to wait; credit is returned as data is consumed.
 * Per stream, so one busy desktop cannot take more than this from a shared agent connection. 4 MiB
 * measured no faster than 1 MiB here (bench:vnc, BENCHMARKS.md) and made the agent hold 2× the memory.
 */
export const DEFAULT_STREAM_WINDOW = 1024 * 1024

/** Credit goes back once this share of the window is consumed: early enough that the sender rarely waits for it. */
const CREDIT_BATCH_DIVISOR = 4

/**
 * Data frames are built in one buffer that every flow reuses: no allocation and no fresh (page-faulting)
 * memory per frame. A frame handed to `emit` is valid only during the call, so `emit` must send or copy
 * it at once (WebSocket `send` copies). A nested flush (emit writing to a flow) gets a buffer of its own.
 */
let scratch: Uint8Array | null = new Uint8Array(STREAM_HEADER_BYTES + MAX_STREAM_PAYLOAD_BYTES)

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
    /** Gets every frame; data frames are only valid during the call (see `scratch`). */
    private readonly emit: (frame: Uint8Array) => void,
  ) {
    this.sendCredit = sendWindow
  }

  /** Bytes written but held back for want of credit. */
  get queuedBytes(): number {
    return this.pendingBytes
  }

  /**
   * Sends what credit allows and queues the rest; false means "stop writing until drained".
   * The flow keeps a reference to queued bytes: the caller must not reuse `bytes`.
   */
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

  /** The consumer is done with these bytes: credit goes back in batches of a quarter window. */
  consumed(bytes: number): void {
    this.outstanding = Math.max(0, this.outstanding - bytes)
    this.consumedSinceGrant += bytes
    if (this.consumedSinceGrant >= this.receiveWindow / CREDIT_BATCH_DIVISOR) {
      this.emit(encodeCredit(this.streamId, this.consumedSinceGrant))
      this.consumedSinceGrant = 0
    }
  }

  /**
   * Sends queued bytes as large frames as credit allows: chunks that queued up while credit was
   * short go out together (up to the frame limit), so fewer, bigger frames cross each hop.
   */
  private flush(): void {
    while (this.pendingBytes > 0 && this.sendCredit > 0) {
      const size = Math.min(this.pendingBytes, this.sendCredit, MAX_STREAM_PAYLOAD_BYTES)
      const buffer = scratch ?? new Uint8Array(STREAM_HEADER_BYTES + MAX_STREAM_PAYLOAD_BYTES)
      scratch = null
      const frame = buffer.subarray(0, STREAM_HEADER_BYTES + size)
      frame[0] = FrameKind.data
      frame[1] = this.streamId >>> 24
      frame[2] = (this.streamId >>> 16) & 0xff
      frame[3] = (this.streamId >>> 8) & 0xff
      frame[4] = this.streamId & 0xff
      this.take(frame, size)
      this.sendCredit -= size
      this.pendingBytes -= size
      try {
        this.emit(frame)
      } finally {
        scratch = buffer
      }
    }
  }

  /** Moves `size` queued bytes into the frame's payload. */
  private take(frame: Uint8Array, size: number): void {
    let filled = 0
    while (filled < size) {
      const head = this.pending[0] as Uint8Array
      const n = Math.min(head.byteLength, size - filled)
      frame.set(n === head.byteLength ? head : head.subarray(0, n), STREAM_HEADER_BYTES + filled)
      filled += n
      if (n === head.byteLength) this.pending.shift()
      else this.pending[0] = head.subarray(n)
    }
  }
}
