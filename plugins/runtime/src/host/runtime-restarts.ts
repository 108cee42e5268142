// Keeps one plugin runtime up: connects, notices when it dies, restarts it with backoff.
import { type CrashMessage, type HostCallMessage, RuntimeLink } from "./runtime-link.ts"
import type { PluginTransport } from "./transport.ts"

/** The pino-shaped logger the core passes in (a child logger per module). */
export interface SupervisorLog {
  info(fields: Record<string, unknown>, message: string): void
  warn(fields: Record<string, unknown>, message: string): void
  error(fields: Record<string, unknown>, message: string): void
}

const line = (level: string) => (fields: Record<string, unknown>, msg: string) =>
  process.stderr.write(`${JSON.stringify({ level, module: "plugins", ...fields, msg })}\n`)
/** Without a logger from the core, problems still reach stderr as JSON lines. */
export const defaultLog: SupervisorLog = { info: () => {}, warn: line("warn"), error: line("error") }

/** A runtime that stayed up this long earns a fresh backoff. */
const STABLE_AFTER_MS = 30_000

export interface RuntimeRestartsOptions {
  transport: PluginTransport
  helloTimeoutMs: number
  backoff: { initialMs: number; maxMs: number }
  log: SupervisorLog
  handlers: {
    hostCall(link: RuntimeLink, message: HostCallMessage): void
    crashed(message: CrashMessage): void
    /** A runtime said hello: reload installs. */
    connected(): void
    /** The runtime died: pending requests have already failed with RUNTIME_UNAVAILABLE. */
    lost(): void
  }
}

export class RuntimeRestarts {
  link: RuntimeLink | undefined
  private stopping = false
  private attempts = 0
  private connectedAt = 0
  private timer: ReturnType<typeof setTimeout> | undefined

  constructor(private readonly options: RuntimeRestartsOptions) {}

  /** Rejects if the first runtime does not start, and keeps trying in the background all the same. */
  async start(): Promise<void> {
    this.stopping = false
    try {
      await this.connect()
    } catch (error) {
      if (!this.stopping) this.scheduleRestart()
      throw error
    }
  }

  async stop(): Promise<void> {
    this.stopping = true
    clearTimeout(this.timer)
    const link = this.link
    this.link = undefined
    if (link !== undefined) {
      link.close()
      await link.whenClosed
    }
  }

  private async connect(): Promise<void> {
    const { transport, helloTimeoutMs, handlers, log } = this.options
    let link: RuntimeLink | undefined
    link = await RuntimeLink.connect(
      transport,
      {
        hostCall: (message) => link && handlers.hostCall(link, message),
        crashed: (message) => handlers.crashed(message),
        closed: (reason) => link && this.onClosed(link, reason),
        refused: (reason) => log.warn({}, reason),
      },
      helloTimeoutMs,
    )
    if (this.stopping) {
      link.close()
      return
    }
    this.link = link
    this.connectedAt = Date.now()
    log.info({ pid: link.pid, node: link.hello.node, engine: link.hello.engine }, "plugin runtime started")
    handlers.connected()
  }

  private onClosed(link: RuntimeLink, reason: string): void {
    if (link !== this.link) return
    this.link = undefined
    this.options.log.error({ pid: link.pid }, `The plugin runtime stopped (${reason}); restarting it.`)
    this.options.handlers.lost()
    if (!this.stopping) this.scheduleRestart()
  }

  private scheduleRestart(): void {
    const { initialMs, maxMs } = this.options.backoff
    if (Date.now() - this.connectedAt > STABLE_AFTER_MS) this.attempts = 0
    const delay = Math.min(initialMs * 2 ** this.attempts, maxMs)
    this.attempts++
    this.timer = setTimeout(() => {
      if (this.stopping) return
      this.connect().catch((error: unknown) => {
        this.options.log.error({}, `The plugin runtime did not start: ${(error as Error).message}`)
        if (!this.stopping) this.scheduleRestart()
      })
    }, delay)
  }
}
