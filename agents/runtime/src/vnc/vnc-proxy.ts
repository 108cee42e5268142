// The agent's RFB security proxy: authenticates to the session's VNC server with its password,
// presents the viewer RFB 3.8 with security None, then pipes bytes both ways. The secret stays here.
import type { Socket } from "bun"
import type { VncTarget } from "../session-driver.ts"
import { ByteQueue } from "./byte-queue.ts"
import { RfbError } from "./rfb-error.ts"
import { RfbReader } from "./rfb-reader.ts"
import { authenticateWithServer } from "./rfb-server-auth.ts"
import { parseRfbVersion, RFB_38, RFB_VERSION_BYTES, SecurityType, showBytes } from "./rfb-version.ts"

/** The viewer's end of the proxy, as the stream that carries it sees it. */
export interface ViewerPort {
  /** Bytes for the viewer. */
  send(chunk: Uint8Array): void
  /** The proxy has ended; called once, never after `VncProxy.close`. */
  close(error: RfbError | null): void
}

export interface VncProxyOptions {
  /** Whole handshake (connect, authenticate, viewer's answers) must finish within this. */
  handshakeTimeoutMs?: number
  /** Viewer bytes that left the proxy (consumed or handed to the kernel): the credit to return. */
  onConsumed?(bytes: number): void
}

const u32 = (n: number) => {
  const b = new Uint8Array(4)
  new DataView(b.buffer).setUint32(0, n)
  return b
}
const reasonMessage = (text: string) => {
  const bytes = new TextEncoder().encode(text)
  const out = new Uint8Array(4 + bytes.byteLength)
  out.set(u32(bytes.byteLength))
  out.set(bytes, 4)
  return out
}

type ViewerStage = "version" | "security" | "waiting" | "piping"

export class VncProxy {
  private server: Socket<undefined> | null = null
  private readonly reader = new RfbReader()
  private readonly fromViewerQueue = new ByteQueue()
  private readonly unwritten = new ByteQueue()
  private stage: ViewerStage = "version"
  private serverAuthenticated = false
  private paused = false
  private ended = false
  private readonly timer: Timer

  constructor(
    target: VncTarget,
    private readonly viewer: ViewerPort,
    private readonly options: VncProxyOptions = {},
  ) {
    const timeoutMs = options.handshakeTimeoutMs ?? 10_000
    this.timer = setTimeout(
      () => this.fail(new RfbError("VNC_TIMEOUT", `The VNC handshake did not finish within ${timeoutMs} ms.`)),
      timeoutMs,
    )
    viewer.send(RFB_38)
    this.connect(target)
  }

  get isPaused(): boolean {
    return this.paused
  }

  /** Bytes from the viewer. */
  write(chunk: Uint8Array): void {
    if (this.ended) return
    if (this.stage === "piping") this.writeToServer(chunk)
    else {
      this.fromViewerQueue.push(chunk)
      this.advanceViewer()
    }
  }

  /** Stops reading from the VNC server (the viewer's stream ran out of credit); TCP pushes back. */
  pause(): void {
    this.paused = true
    this.server?.pause()
  }

  resume(): void {
    this.paused = false
    this.server?.resume()
  }

  /** Ends both sides without telling the viewer port (its owner asked for this). */
  close(): void {
    if (this.ended) return
    this.ended = true
    clearTimeout(this.timer)
    this.reader.fail(new RfbError("VNC_CLOSED", "The relay closed."))
    this.server?.end()
  }

  private connect(target: VncTarget): void {
    const proxy = this
    Bun.connect({
      hostname: target.host,
      port: target.port,
      socket: {
        open(socket) {
          if (proxy.ended) return void socket.end()
          socket.setNoDelay(true)
          proxy.server = socket
          if (proxy.paused) socket.pause()
          authenticateWithServer(proxy.reader, (b) => proxy.writeToServer(b), target.password).then(
            () => proxy.serverReady(),
            (error: unknown) => proxy.fail(error),
          )
        },
        data(_socket, data) {
          if (proxy.ended) return
          if (proxy.stage === "piping") proxy.viewer.send(data)
          else proxy.reader.push(data)
        },
        drain() {
          proxy.flush()
        },
        close() {
          proxy.fail(new RfbError("VNC_CLOSED", "The session's VNC server closed the connection."))
        },
        error(_socket, error) {
          proxy.fail(new RfbError("VNC_CLOSED", `The connection to the session's VNC server failed: ${error.message}`))
        },
      },
    }).catch((error: Error) =>
      this.fail(
        new RfbError(
          "VNC_UNREACHABLE",
          `The session's VNC server at ${target.host}:${target.port} did not accept a connection: ${error.message}`,
        ),
      ),
    )
  }

  /** The viewer's side of the handshake: its ProtocolVersion, then its choice of security type. */
  private advanceViewer(): void {
    if (this.stage === "version") {
      const bytes = this.fromViewerQueue.take(RFB_VERSION_BYTES)
      if (!bytes) return
      const v = parseRfbVersion(bytes)
      if (v?.major !== 3 || v.minor !== 8) {
        this.fail(new RfbError("VIEWER_PROTOCOL", `The viewer answered ${showBytes(bytes)}; the relay speaks RFB 3.8 only.`))
        return
      }
      this.consumed(RFB_VERSION_BYTES)
      this.viewer.send(Uint8Array.of(1, SecurityType.none))
      this.stage = "security"
    }
    if (this.stage === "security") {
      const choice = this.fromViewerQueue.take(1)
      if (!choice) return
      if (choice[0] !== SecurityType.none) {
        this.fail(new RfbError("VIEWER_PROTOCOL", `The viewer chose security type ${choice[0]}; the relay offers only None (1).`))
        return
      }
      this.consumed(1)
      this.stage = "waiting"
    }
    this.startPiping()
  }

  private serverReady(): void {
    this.serverAuthenticated = true
    this.startPiping()
  }

  /** Both handshakes are done: tell the viewer it is in, then pass everything through. */
  private startPiping(): void {
    if (this.ended || this.stage !== "waiting" || !this.serverAuthenticated) return
    clearTimeout(this.timer)
    this.stage = "piping"
    this.viewer.send(u32(0))
    // Whatever the server sent past SecurityResult (nothing, for a server that waits for ClientInit).
    for (const chunk of this.reader.queue.drain()) this.viewer.send(chunk)
    for (const chunk of this.fromViewerQueue.drain()) this.writeToServer(chunk)
  }

  private writeToServer(chunk: Uint8Array): void {
    const server = this.server
    // Before the socket opens, or behind bytes still waiting for a drain: queue a copy (the caller may reuse its buffer).
    if (!server || this.unwritten.length > 0) {
      this.unwritten.push(new Uint8Array(chunk))
      return
    }
    const written = Math.max(0, server.write(chunk))
    if (this.stage === "piping") this.consumed(written)
    // The socket did not take it all: keep a copy of the rest until it drains.
    if (written < chunk.byteLength) this.unwritten.push(new Uint8Array(chunk.subarray(written)))
  }

  private flush(): void {
    const server = this.server
    if (!server) return
    while (this.unwritten.length > 0) {
      const chunk = this.unwritten.take(Math.min(this.unwritten.length, 64 * 1024)) as Uint8Array
      const written = Math.max(0, server.write(chunk))
      if (this.stage === "piping") this.consumed(written)
      if (written < chunk.byteLength) {
        // Put the rest back in front: ByteQueue only appends, so rebuild it.
        const rest = [chunk.subarray(written), ...this.unwritten.drain()]
        for (const c of rest) this.unwritten.push(c)
        return
      }
    }
  }

  private consumed(bytes: number): void {
    if (bytes > 0) this.options.onConsumed?.(bytes)
  }

  private fail(error: unknown): void {
    if (this.ended) return
    const rfb =
      error instanceof RfbError
        ? error
        : new RfbError("VNC_CLOSED", `The VNC relay failed: ${error instanceof Error ? error.message : String(error)}`)
    // A viewer waiting for SecurityResult can be told why; RFB 3.8 carries a reason with the failure.
    if (this.stage === "waiting") this.viewer.send(new Uint8Array([...u32(1), ...reasonMessage(rfb.message)]))
    this.close()
    this.viewer.close(rfb)
  }
}
