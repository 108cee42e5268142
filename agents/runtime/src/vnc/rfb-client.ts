// A small RFB 3.8 viewer for tests and benchmarks: None or VNC auth, raw pixels, framebuffer updates.
import type { Socket } from "bun"
import { RfbReader } from "./rfb-reader.ts"
import { parseRfbVersion, RFB_38, RFB_VERSION_BYTES, SecurityType, showBytes } from "./rfb-version.ts"
import { VNC_CHALLENGE_BYTES, vncAuthResponse } from "./vnc-auth.ts"

export interface RfbClientOptions {
  /** Used only if the server offers VNC Authentication and not None. */
  password?: string
  /** Keep a copy of the framebuffer (for tests that look at pixels); benchmarks skip the copy. */
  keepPixels?: boolean
}

export interface UpdateStats {
  rects: number
  /** Bytes of the FramebufferUpdate message, headers included. */
  bytes: number
}

interface Transport {
  write(b: Uint8Array): void
  close(): void
}

const BYTES_PER_PIXEL = 4
const Encoding = { raw: 0, copyRect: 1, desktopSize: -223 } as const

export class RfbClient {
  width = 0
  height = 0
  name = ""
  pixels: Uint8Array | null = null
  readonly reader = new RfbReader()
  private transport: Transport | null = null
  /** Resolves when the other end has closed (or the transport failed). */
  readonly closed: Promise<void>
  private markClosed!: () => void

  private constructor(private readonly options: RfbClientOptions) {
    this.closed = new Promise((resolve) => (this.markClosed = resolve))
  }

  static async tcp(host: string, port: number, options: RfbClientOptions = {}): Promise<RfbClient> {
    const client = new RfbClient(options)
    const socket: Socket<undefined> = await Bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, data) => client.reader.push(data),
        close: () => client.ended(new Error("The VNC connection closed.")),
        error: (_s, e) => client.ended(e),
      },
    })
    socket.setNoDelay(true)
    client.transport = { write: (b) => void socket.write(b), close: () => socket.end() }
    await client.handshake()
    return client
  }

  static async webSocket(url: string, options: RfbClientOptions = {}): Promise<RfbClient> {
    const client = new RfbClient(options)
    const ws = new WebSocket(url)
    ws.binaryType = "arraybuffer"
    ws.onmessage = (e) => {
      if (e.data instanceof ArrayBuffer) client.reader.push(new Uint8Array(e.data))
    }
    ws.onclose = (e) => client.ended(new Error(`The WebSocket closed (${e.code} ${e.reason}).`), e.code, e.reason)
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve()
      ws.onerror = () => reject(new Error(`The WebSocket to ${url} did not open.`))
    })
    client.transport = { write: (b) => ws.send(b), close: () => ws.close() }
    await client.handshake()
    return client
  }

  /** Close code and reason when the transport was a WebSocket that the other side closed. */
  closeCode: number | null = null
  closeReason = ""

  send(bytes: Uint8Array): void {
    this.transport?.write(bytes)
  }

  requestUpdate(incremental: boolean, x = 0, y = 0, w = this.width, h = this.height): void {
    const b = new Uint8Array(10)
    const v = new DataView(b.buffer)
    b[0] = 3
    b[1] = incremental ? 1 : 0
    v.setUint16(2, x)
    v.setUint16(4, y)
    v.setUint16(6, w)
    v.setUint16(8, h)
    this.send(b)
  }

  /** Asks for a region and reads server messages until a FramebufferUpdate has arrived in full. */
  async update(incremental: boolean, x = 0, y = 0, w = this.width, h = this.height): Promise<UpdateStats> {
    this.requestUpdate(incremental, x, y, w, h)
    return this.nextUpdate()
  }

  async nextUpdate(): Promise<UpdateStats> {
    for (;;) {
      const type = await this.reader.readU8()
      if (type === 0) return this.readUpdate()
      if (type === 1) {
        const head = await this.reader.read(5)
        await this.reader.skip(new DataView(head.buffer).getUint16(3) * 6)
      } else if (type === 2) continue
      else if (type === 3) {
        await this.reader.skip(3)
        await this.reader.skip(await this.reader.readU32())
      } else throw new Error(`The server sent RFB message type ${type}, which this client does not know.`)
    }
  }

  key(keysym: number, down: boolean): void {
    const b = new Uint8Array(8)
    b[0] = 4
    b[1] = down ? 1 : 0
    new DataView(b.buffer).setUint32(4, keysym)
    this.send(b)
  }

  /** Presses and releases each character (Latin-1 keysyms equal their code points). */
  type(text: string): void {
    for (const ch of text) {
      const keysym = ch === "\n" ? 0xff0d : (ch.codePointAt(0) as number)
      this.key(keysym, true)
      this.key(keysym, false)
    }
  }

  pointer(buttons: number, x: number, y: number): void {
    const b = new Uint8Array(6)
    const v = new DataView(b.buffer)
    b[0] = 5
    b[1] = buttons
    v.setUint16(2, x)
    v.setUint16(4, y)
    this.send(b)
  }

  cutText(text: string): void {
    const t = new TextEncoder().encode(text)
    const b = new Uint8Array(8 + t.byteLength)
    b[0] = 6
    new DataView(b.buffer).setUint32(4, t.byteLength)
    b.set(t, 8)
    this.send(b)
  }

  /** A digest of a region's pixels, to tell whether the screen there changed. */
  regionDigest(x: number, y: number, w: number, h: number): string {
    const px = this.pixels
    if (!px) throw new Error("regionDigest needs keepPixels.")
    const hasher = new Bun.CryptoHasher("sha1")
    for (let row = y; row < y + h; row++) {
      const start = (row * this.width + x) * BYTES_PER_PIXEL
      hasher.update(px.subarray(start, start + w * BYTES_PER_PIXEL))
    }
    return hasher.digest("hex")
  }

  close(): void {
    this.transport?.close()
  }

  private ended(error: Error, code?: number, reason?: string): void {
    if (code !== undefined) {
      this.closeCode = code
      this.closeReason = reason ?? ""
    }
    this.reader.fail(error)
    this.markClosed()
  }

  private async handshake(): Promise<void> {
    const r = this.reader
    const banner = await r.read(RFB_VERSION_BYTES)
    if (!parseRfbVersion(banner)) throw new Error(`Not an RFB server: ${showBytes(banner)}`)
    this.send(RFB_38)
    const count = await r.readU8()
    if (count === 0) throw new Error(`The server refused: ${await r.readReason()}`)
    const types = [...(await r.read(count))]
    if (types.includes(SecurityType.none)) this.send(Uint8Array.of(SecurityType.none))
    else if (types.includes(SecurityType.vncAuth) && this.options.password !== undefined) {
      this.send(Uint8Array.of(SecurityType.vncAuth))
      this.send(vncAuthResponse(this.options.password, await r.read(VNC_CHALLENGE_BYTES)))
    } else throw new Error(`No usable security type among [${types.join(", ")}].`)
    if ((await r.readU32()) !== 0) throw new Error(`Security failed: ${await r.readReason()}`)

    this.send(Uint8Array.of(1)) // ClientInit: shared
    const init = await r.read(20) // width, height, pixel format; the name follows
    const v = new DataView(init.buffer)
    this.width = v.getUint16(0)
    this.height = v.getUint16(2)
    this.name = new TextDecoder().decode(await r.read(await r.readU32()))
    if (this.options.keepPixels) this.pixels = new Uint8Array(this.width * this.height * BYTES_PER_PIXEL)

    // 32 bpp, depth 24, little-endian true colour: raw rectangles are then 4 bytes a pixel.
    this.send(Uint8Array.of(0, 0, 0, 0, 32, 24, 0, 1, 0, 255, 0, 255, 0, 255, 16, 8, 0, 0, 0, 0))
    const enc = new Uint8Array(4 + 3 * 4)
    const ev = new DataView(enc.buffer)
    enc[0] = 2
    ev.setUint16(2, 3)
    ev.setInt32(4, Encoding.raw)
    ev.setInt32(8, Encoding.copyRect)
    ev.setInt32(12, Encoding.desktopSize)
    this.send(enc)
  }

  private async readUpdate(): Promise<UpdateStats> {
    const head = await this.reader.read(3)
    const rects = new DataView(head.buffer).getUint16(1)
    let bytes = 4
    for (let i = 0; i < rects; i++) {
      const h = await this.reader.read(12)
      const v = new DataView(h.buffer)
      const [x, y, w, hh, enc] = [v.getUint16(0), v.getUint16(2), v.getUint16(4), v.getUint16(6), v.getInt32(8)]
      bytes += 12
      if (enc === Encoding.raw) {
        const n = w * hh * BYTES_PER_PIXEL
        bytes += n
        if (this.pixels) this.blit(x, y, w, hh, await this.reader.read(n))
        else await this.reader.skip(n)
      } else if (enc === Encoding.copyRect) {
        const src = await this.reader.read(4)
        bytes += 4
        if (this.pixels) this.copy(new DataView(src.buffer).getUint16(0), new DataView(src.buffer).getUint16(2), x, y, w, hh)
      } else if (enc === Encoding.desktopSize) {
        this.width = w
        this.height = hh
        if (this.pixels) this.pixels = new Uint8Array(w * hh * BYTES_PER_PIXEL)
      } else throw new Error(`The server used encoding ${enc}, which this client did not ask for.`)
    }
    return { rects, bytes }
  }

  private blit(x: number, y: number, w: number, h: number, data: Uint8Array): void {
    const px = this.pixels as Uint8Array
    const rowBytes = w * BYTES_PER_PIXEL
    for (let row = 0; row < h; row++)
      px.set(data.subarray(row * rowBytes, (row + 1) * rowBytes), ((y + row) * this.width + x) * BYTES_PER_PIXEL)
  }

  private copy(sx: number, sy: number, x: number, y: number, w: number, h: number): void {
    const px = this.pixels as Uint8Array
    const rows: Uint8Array[] = []
    for (let row = 0; row < h; row++) {
      const start = ((sy + row) * this.width + sx) * BYTES_PER_PIXEL
      rows.push(px.slice(start, start + w * BYTES_PER_PIXEL))
    }
    for (const [row, r] of rows.entries()) px.set(r, ((y + row) * this.width + x) * BYTES_PER_PIXEL)
  }
}
