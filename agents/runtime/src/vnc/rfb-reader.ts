// Awaitable exact-size reads over pushed chunks: the handshake side of an RFB connection.
import { ByteQueue } from "./byte-queue.ts"

export class RfbReader {
  readonly queue = new ByteQueue()
  private waiter: { n: number; resolve: (b: Uint8Array) => void; reject: (e: Error) => void } | null = null
  private skipping: { left: number; resolve: () => void; reject: (e: Error) => void } | null = null
  private failure: Error | null = null

  push(chunk: Uint8Array): void {
    this.queue.push(chunk)
    this.settle()
  }

  /** Every read from now on fails with `error` (the socket closed, the deadline passed). */
  fail(error: Error): void {
    this.failure ??= error
    this.settle()
  }

  read(n: number): Promise<Uint8Array> {
    if (this.waiter || this.skipping) return Promise.reject(new Error("RfbReader allows one read at a time."))
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject }
      this.settle()
    })
  }

  /** Discards `n` bytes as they arrive, without buffering them all: for payloads nobody looks at. */
  skip(n: number): Promise<void> {
    if (this.waiter || this.skipping) return Promise.reject(new Error("RfbReader allows one read at a time."))
    return new Promise((resolve, reject) => {
      this.skipping = { left: n, resolve, reject }
      this.settle()
    })
  }

  async readU8(): Promise<number> {
    return (await this.read(1))[0] as number
  }

  async readU32(): Promise<number> {
    const b = await this.read(4)
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0)
  }

  /** An RFB reason string (u32 length, then text), cut at `max` bytes so a server cannot make us buffer much. */
  async readReason(max = 4096): Promise<string> {
    const length = await this.readU32()
    const text = new TextDecoder().decode(await this.read(Math.min(length, max)))
    // Control characters would let a server forge log lines.
    return [...text]
      .map((c) => (c < " " || c === "\x7f" ? " " : c))
      .join("")
      .trim()
  }

  private settle(): void {
    const s = this.skipping
    if (s) {
      const n = Math.min(s.left, this.queue.length)
      this.queue.discard(n)
      s.left -= n
      if (s.left === 0) {
        this.skipping = null
        s.resolve()
      } else if (this.failure) {
        this.skipping = null
        s.reject(this.failure)
      }
      return
    }
    const w = this.waiter
    if (!w) return
    const got = this.queue.take(w.n)
    if (got) {
      this.waiter = null
      // A copy starting at offset 0 (so callers may use .buffer): the chunk it views belongs to the socket.
      // Not got.slice(): on a Node Buffer that is another view.
      w.resolve(new Uint8Array(got))
    } else if (this.failure) {
      this.waiter = null
      w.reject(this.failure)
    }
  }
}
