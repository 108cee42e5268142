// Bytes that arrive in arbitrary chunks, taken out in the exact sizes a protocol parser asks for.

export class ByteQueue {
  private chunks: Uint8Array[] = []
  private head = 0
  private total = 0

  get length(): number {
    return this.total
  }

  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return
    this.chunks.push(chunk)
    this.total += chunk.byteLength
  }

  /** Byte at `offset` from the front without consuming it; undefined past the end. */
  peek(offset: number): number | undefined {
    if (offset >= this.total) return undefined
    let at = offset + this.head
    for (const c of this.chunks) {
      if (at < c.byteLength) return c[at]
      at -= c.byteLength
    }
    return undefined
  }

  /** The first `n` bytes, consumed; null (and nothing consumed) until that many have arrived. */
  take(n: number): Uint8Array | null {
    if (n > this.total) return null
    const first = this.chunks[0]
    // The common case: the whole read sits in one chunk, so it is a view and not a copy.
    if (first && first.byteLength - this.head >= n) {
      const out = first.subarray(this.head, this.head + n)
      this.consume(n)
      return out
    }
    const out = new Uint8Array(n)
    let filled = 0
    while (filled < n) {
      const c = this.chunks[0] as Uint8Array
      const part = c.subarray(this.head, this.head + Math.min(n - filled, c.byteLength - this.head))
      out.set(part, filled)
      filled += part.byteLength
      this.consume(part.byteLength)
    }
    return out
  }

  /** Everything left, consumed. */
  drain(): Uint8Array[] {
    const first = this.chunks[0]
    if (first && this.head > 0) this.chunks[0] = first.subarray(this.head)
    const out = this.chunks
    this.chunks = []
    this.head = 0
    this.total = 0
    return out
  }

  /** Drops the first `n` bytes (at most what is there) without copying them. */
  discard(n: number): void {
    this.consume(Math.min(n, this.total))
  }

  private consume(n: number): void {
    this.total -= n
    let left = n
    while (left > 0) {
      const c = this.chunks[0] as Uint8Array
      const avail = c.byteLength - this.head
      if (left < avail) {
        this.head += left
        return
      }
      left -= avail
      this.chunks.shift()
      this.head = 0
    }
  }
}
