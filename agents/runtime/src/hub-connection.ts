// The agent's connection out to the control plane: token header, reconnect with jittered backoff across every configured URL.
import type { Logger } from "pino"
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts"

export const AGENT_CONNECT_PATH = "/api/v1/agents/connect"

export interface HubConnectionEvents {
  opened(): void
  text(data: string): void
  binary(data: Uint8Array): void
  closed(code: number, reason: string): void
  /** The control plane refused the token: retrying cannot help. */
  refused(reason: string): void
}

export class HubConnection {
  private ws: WebSocket | null = null
  private attempt = 0
  private stopped = true
  private timer: ReturnType<typeof setTimeout> | null = null

  constructor(
    private readonly urls: readonly string[],
    private readonly token: string,
    private readonly events: HubConnectionEvents,
    private readonly log: Logger,
    private readonly backoff: BackoffOptions = DEFAULT_BACKOFF,
  ) {
    if (urls.length === 0) throw new Error("At least one control-plane URL is needed.")
  }

  /** The URL of the current or next attempt. */
  get url(): string {
    return this.urls[this.attempt % this.urls.length] as string
  }

  get isOpen(): boolean {
    return this.ws?.readyState === WebSocket.OPEN
  }

  start(): void {
    this.stopped = false
    this.connect()
  }

  /** A connection that got as far as the welcome resets the backoff. */
  connected(): void {
    this.attempt = 0
  }

  send(data: string | Uint8Array): boolean {
    if (!this.isOpen || !this.ws) return false
    this.ws.send(data)
    return true
  }

  close(code: number, reason: string): void {
    this.ws?.close(code, reason)
  }

  stop(): void {
    this.stopped = true
    if (this.timer) clearTimeout(this.timer)
    this.ws?.close(1000, "agent stopping")
  }

  private connect(): void {
    const base = this.url
    const ws = new WebSocket(`${base.replace(/^http/, "ws").replace(/\/$/, "")}${AGENT_CONNECT_PATH}`, {
      // Bun's WebSocket takes headers: the token never goes into a URL or a log.
      headers: { authorization: `Bearer ${this.token}` },
      // Stream frames carry desktop pixels the VNC server already encoded; deflate would cost CPU on every byte.
      perMessageDeflate: false,
    } as unknown as string[])
    ws.binaryType = "arraybuffer"
    this.ws = ws
    let opened = false
    ws.addEventListener("open", () => {
      opened = true
      this.log.info({ url: base }, "connected to the control plane")
      this.events.opened()
    })
    ws.addEventListener("message", (e) => {
      if (typeof e.data === "string") this.events.text(e.data)
      else this.events.binary(new Uint8Array(e.data as ArrayBuffer))
    })
    ws.addEventListener("close", (e) => {
      if (this.ws !== ws) return
      this.ws = null
      if (opened) this.events.closed(e.code, e.reason)
      if (this.stopped) return
      if (e.code === 4003) return this.events.refused(`the control plane closed the connection: ${e.reason}`)
      void this.retry(base, opened, e.code, e.reason)
    })
  }

  private async retry(base: string, opened: boolean, code: number, reason: string): Promise<void> {
    // A refused upgrade shows only as a failed socket; ask over plain HTTP whether it was the token.
    if (!opened && (await this.tokenRefused(base))) {
      if (!this.stopped) this.events.refused(`${base} refused this agent's token (401)`)
      return
    }
    this.attempt++
    const delay = backoffDelay(Math.floor((this.attempt - 1) / this.urls.length), this.backoff)
    this.log.warn(
      { url: base, code, reason: reason || undefined, next: this.url, inMs: delay },
      "control plane unreachable; retrying",
    )
    if (this.stopped) return
    this.timer = setTimeout(() => {
      this.timer = null
      if (!this.stopped) this.connect()
    }, delay)
  }

  private async tokenRefused(base: string): Promise<boolean> {
    try {
      const res = await fetch(`${base.replace(/\/$/, "")}${AGENT_CONNECT_PATH}`, {
        headers: { authorization: `Bearer ${this.token}` },
        signal: AbortSignal.timeout(2_000),
      })
      await res.body?.cancel()
      return res.status === 401
    } catch {
      return false
    }
  }
}
