// PluginTransport: how the core reaches a plugin runtime; NodeIpcTransport starts it as a Node child over Bun IPC.
import type { CoreToRuntime } from "@streamspace/schemas"
import { buildRuntime } from "./build-runtime.ts"

export interface TransportHandlers {
  /** Any value the runtime sent; not yet checked. */
  message(value: unknown): void
  /** The channel is gone for good (process exit, socket closed); called once. */
  closed(reason: string): void
}

export interface TransportChannel {
  send(message: CoreToRuntime): void
  /** Ends the runtime (or the connection to it); `closed` follows. */
  close(): void
  readonly description: string
  /** The runtime's process id when it is a local process. */
  readonly pid?: number
}

/** Opens a channel to a fresh runtime. A Unix-socket transport to a sidecar can replace the Node child. */
export interface PluginTransport {
  open(handlers: TransportHandlers): Promise<TransportChannel>
}

export interface NodeIpcTransportOptions {
  /** The runtime script; by default dist/runtime.js, built on first use. */
  entry?: string
  /** The Node 20 binary. */
  node?: string
  /** The runtime's environment; by default only PATH, so the core's secrets (database URL, JWT key) stay out of it. */
  env?: Record<string, string | undefined>
}

export class NodeIpcTransport implements PluginTransport {
  constructor(private readonly options: NodeIpcTransportOptions = {}) {}

  async open(handlers: TransportHandlers): Promise<TransportChannel> {
    const entry = this.options.entry ?? (await buildRuntime())
    let closed = false
    const child = Bun.spawn({
      // isolated-vm 5 crashes with Node's startup snapshot; see MACHINE.md.
      cmd: [this.options.node ?? "node", "--no-node-snapshot", entry],
      env: this.options.env ?? { PATH: process.env.PATH },
      stdio: ["ignore", "inherit", "inherit"],
      serialization: "json",
      ipc: (message) => {
        if (!closed) handlers.message(message)
      },
      onExit: (_process, exitCode, signalCode) => {
        if (closed) return
        closed = true
        handlers.closed(signalCode ? `the runtime was killed by ${signalCode}` : `the runtime exited with code ${exitCode}`)
      },
    })
    return {
      description: `node pid ${child.pid}`,
      pid: child.pid,
      send: (message) => {
        if (!closed) child.send(message)
      },
      close: () => {
        // Closing the channel lets the runtime exit by itself; the kill is for one that does not.
        child.disconnect()
        setTimeout(() => child.kill("SIGKILL"), 1000).unref()
      },
    }
  }
}
