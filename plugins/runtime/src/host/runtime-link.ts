// One live connection to a plugin runtime: hello first, every message checked, every request under a deadline.
import {
  type CoreToRuntime,
  type PluginErrorCode,
  RUNTIME_PROTOCOL_VERSION,
  type RuntimeToCore,
  RuntimeToCore as RuntimeToCoreSchema,
} from "@streamspace/schemas"
import { batchingSender } from "../shared/batching.ts"
import { messageChecker } from "../shared/message-checker.ts"
import type { PluginTransport, TransportChannel } from "./transport.ts"

const checkMessage = messageChecker<RuntimeToCore>(RuntimeToCoreSchema)

type Hello = Extract<RuntimeToCore, { type: "hello" }>
export type HostCallMessage = Extract<RuntimeToCore, { type: "hostCall" }>
export type CrashMessage = Extract<RuntimeToCore, { type: "crashed" }>
export type LinkAnswer = { ok: true; value: unknown } | { ok: false; code: PluginErrorCode; message: string }
/** A request without its id; the link numbers it. */
export type LinkRequest = CoreToRuntime extends infer M
  ? M extends { id: number; type: "load" | "unload" | "callHook" | "deliverEvent" | "stats" }
    ? Omit<M, "id">
    : never
  : never

export interface LinkHandlers {
  hostCall(message: HostCallMessage): void
  crashed(message: CrashMessage): void
  /** The runtime is gone; every pending request has been answered with RUNTIME_UNAVAILABLE. */
  closed(reason: string): void
  /** A message failed its schema; it was dropped (and its request, if known, failed). */
  refused(reason: string): void
}

interface Pending {
  resolve(answer: LinkAnswer): void
  timer: ReturnType<typeof setTimeout>
}

export class RuntimeLink {
  private readonly pending = new Map<number, Pending>()
  private nextId = 1
  private channel!: TransportChannel
  private readonly post = batchingSender<CoreToRuntime>((message) => this.channel.send(message))
  private isClosed = false
  private markClosed!: (reason: string) => void
  /** Resolves with the reason once the runtime is gone. */
  readonly whenClosed = new Promise<string>((resolve) => (this.markClosed = resolve))
  hello!: Hello

  private constructor(private readonly handlers: LinkHandlers) {}

  /** Starts a runtime and waits for its hello; anything else first, or silence past the deadline, fails. */
  static async connect(transport: PluginTransport, handlers: LinkHandlers, helloTimeoutMs: number): Promise<RuntimeLink> {
    const link = new RuntimeLink(handlers)
    let greet!: { resolve(hello: Hello): void; reject(error: Error): void }
    const greeted = new Promise<Hello>((resolve, reject) => (greet = { resolve, reject }))
    let ready = false
    link.channel = await transport.open({
      message: (value) => {
        if (ready) return link.receive(value)
        const checked = checkMessage(value)
        if (checked.ok && checked.message.type === "hello") {
          ready = true
          return greet.resolve(checked.message)
        }
        greet.reject(new Error(`The plugin runtime spoke before its hello: ${checked.ok ? checked.message.type : checked.error}`))
      },
      closed: (reason) => {
        greet.reject(new Error(`The plugin runtime stopped before its hello: ${reason}`))
        link.onClosed(reason)
      },
    })
    const timer = setTimeout(
      () => greet.reject(new Error(`The plugin runtime did not say hello within ${helloTimeoutMs} ms.`)),
      helloTimeoutMs,
    )
    try {
      link.hello = await greeted
    } catch (error) {
      link.close()
      throw error
    } finally {
      clearTimeout(timer)
    }
    if (link.hello.protocol !== RUNTIME_PROTOCOL_VERSION) {
      link.close()
      throw new Error(`The plugin runtime speaks protocol ${link.hello.protocol}; this core needs ${RUNTIME_PROTOCOL_VERSION}.`)
    }
    return link
  }

  get pid(): number | undefined {
    return this.channel.pid
  }

  get closed(): boolean {
    return this.isClosed
  }

  /** Sends a request; the answer is the runtime's, or a failure when the deadline passes or the runtime dies. */
  request(message: LinkRequest, deadlineMs: number): Promise<LinkAnswer> {
    if (this.isClosed)
      return Promise.resolve({ ok: false, code: "RUNTIME_UNAVAILABLE", message: "The plugin runtime is not running." })
    const id = this.nextId++
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(id)
        resolve({ ok: false, code: "PLUGIN_TIMEOUT", message: `The plugin runtime did not answer within ${deadlineMs} ms.` })
      }, deadlineMs)
      this.pending.set(id, { resolve, timer })
      this.post({ ...message, id } as CoreToRuntime)
    })
  }

  /** Fire-and-forget messages: answers to host calls. */
  send(message: Extract<CoreToRuntime, { type: "hostResult" | "hostError" }>): void {
    if (!this.isClosed) this.post(message)
  }

  close(): void {
    this.channel?.close()
  }

  private receive(value: unknown): void {
    const checked = checkMessage(value)
    if (!checked.ok) {
      this.handlers.refused(`The core refused a message from the plugin runtime: ${checked.error}`)
      if (checked.id !== undefined) this.answer(checked.id, { ok: false, code: "RUNTIME_BAD_MESSAGE", message: checked.error })
      return
    }
    const message = checked.message
    switch (message.type) {
      case "batch":
        for (const inner of message.messages) this.receive(inner)
        break
      case "result":
        this.answer(message.id, { ok: true, value: message.value })
        break
      case "error":
        this.answer(message.id, { ok: false, code: message.code, message: message.message })
        break
      case "hostCall":
        this.handlers.hostCall(message)
        break
      case "crashed":
        this.handlers.crashed(message)
        break
      case "hello":
        this.handlers.refused("The plugin runtime said hello twice; the second was ignored.")
        break
    }
  }

  private answer(id: number, answer: LinkAnswer): void {
    const pending = this.pending.get(id)
    if (pending === undefined) return
    this.pending.delete(id)
    clearTimeout(pending.timer)
    pending.resolve(answer)
  }

  private onClosed(reason: string): void {
    if (this.isClosed) return
    this.isClosed = true
    for (const [id] of this.pending)
      this.answer(id, { ok: false, code: "RUNTIME_UNAVAILABLE", message: `The plugin runtime stopped: ${reason}` })
    this.markClosed(reason)
    this.handlers.closed(reason)
  }
}
