// The runtime's message loop: checks every message from the core and drives one sandbox per install.
import { CoreToRuntime, type HostMethod, type PluginErrorCode, type RuntimeToCore } from "@streamspace/schemas"
import { messageChecker } from "../shared/message-checker.ts"
import { Sandbox, SandboxError } from "./sandbox.ts"

const checkMessage = messageChecker<CoreToRuntime>(CoreToRuntime)

export type Send = (message: RuntimeToCore) => void

export class Runtime {
  private readonly installs = new Map<string, Sandbox>()
  /** Installs being loaded, so an unload or a second load for the same id waits its turn. */
  private readonly loading = new Map<string, Promise<unknown>>()

  constructor(private readonly send: Send) {}

  /** Handles one message from the core. Never throws: a bad message is answered, not fatal. */
  handle(value: unknown): void {
    const checked = checkMessage(value)
    if (!checked.ok) {
      const reason = `The runtime refused a message: ${checked.error}`
      if (checked.id !== undefined) this.reply(checked.id, "RUNTIME_BAD_MESSAGE", reason)
      else process.stderr.write(`${reason}\n`)
      return
    }
    const message = checked.message
    switch (message.type) {
      case "batch":
        for (const inner of message.messages) this.handle(inner)
        return
      case "load":
        this.after(message.installId, () => this.load(message))
        return
      case "unload":
        this.after(message.installId, async () => {
          this.installs.get(message.installId)?.dispose()
          this.installs.delete(message.installId)
          this.send({ type: "result", id: message.id, value: null })
        })
        return
      case "callHook":
        this.answer(message.id, message.installId, (s) => s.callHook(message.hook, message.input, message.timeoutMs))
        return
      case "deliverEvent":
        this.answer(message.id, message.installId, (s) => s.deliverEvent(message.event.type, message.event, message.timeoutMs))
        return
      case "hostResult":
        this.installs.get(message.installId)?.settleHostCall(message.id, { value: message.value })
        return
      case "hostError":
        this.installs.get(message.installId)?.settleHostCall(message.id, { code: message.code, message: message.message })
        return
      case "stats":
        this.send({ type: "result", id: message.id, value: { installs: [...this.installs.values()].map((s) => s.stats()) } })
        return
    }
  }

  private after(installId: string, step: () => Promise<void>): void {
    const previous = this.loading.get(installId) ?? Promise.resolve()
    const next = previous.then(step, step)
    this.loading.set(installId, next)
    void next.finally(() => {
      if (this.loading.get(installId) === next) this.loading.delete(installId)
    })
  }

  private async load(message: Extract<CoreToRuntime, { type: "load" }>): Promise<void> {
    const { installId } = message
    this.installs.get(installId)?.dispose()
    this.installs.delete(installId)
    try {
      const { sandbox, hooks, events } = await Sandbox.load(message, {
        hostCall: (id, method, args) => this.forwardHostCall(installId, id, method, args),
        crashed: (sandbox, code, reason) => this.onCrash(installId, sandbox, code, reason),
      })
      this.installs.set(installId, sandbox)
      this.send({ type: "result", id: message.id, value: { hooks, events } })
    } catch (error) {
      const failure = error instanceof SandboxError ? error : new SandboxError("PLUGIN_LOAD_FAILED", String(error))
      this.reply(message.id, failure.code, failure.message)
    }
  }

  private forwardHostCall(installId: string, id: number, method: HostMethod, args: unknown[]): void {
    this.send({ type: "hostCall", id, installId, method, args })
  }

  /** A crash during load is answered by the load's error; only a loaded install is reported. */
  private onCrash(installId: string, sandbox: Sandbox, code: PluginErrorCode, message: string): void {
    if (this.installs.get(installId) !== sandbox) return
    this.installs.delete(installId)
    this.send({ type: "crashed", installId, code, message })
  }

  private answer(id: number, installId: string, call: (sandbox: Sandbox) => Promise<unknown>): void {
    const sandbox = this.installs.get(installId)
    if (sandbox === undefined) {
      this.reply(id, "PLUGIN_NOT_LOADED", `No plugin install ${installId} is loaded in this runtime.`)
      return
    }
    call(sandbox).then(
      (value) => this.send({ type: "result", id, value }),
      (error: unknown) => {
        const failure = error instanceof SandboxError ? error : new SandboxError("PLUGIN_CRASHED", String(error))
        this.reply(id, failure.code, failure.message)
      },
    )
  }

  private reply(id: number, code: PluginErrorCode, message: string): void {
    this.send({ type: "error", id, code, message: message.slice(0, 8000) })
  }
}
