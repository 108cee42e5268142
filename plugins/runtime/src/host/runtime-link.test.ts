// RuntimeLink against fake runtimes (scripted transports) that break the protocol in ways the real one does not.
import { expect, test } from "bun:test"
import type { CoreToRuntime } from "@streamspace/schemas"
import { type LinkHandlers, RuntimeLink } from "./runtime-link.ts"
import type { PluginTransport, TransportChannel, TransportHandlers } from "./transport.ts"

const HELLO = { type: "hello", protocol: 1, pid: 1, node: "v20", engine: "fake" }

/** A fake runtime: `script` plays its side of the conversation. */
class FakeRuntimeTransport implements PluginTransport {
  readonly sent: CoreToRuntime[] = []
  handlers!: TransportHandlers
  constructor(private readonly script: (runtime: FakeRuntimeTransport) => void) {}
  async open(handlers: TransportHandlers): Promise<TransportChannel> {
    this.handlers = handlers
    setTimeout(() => this.script(this), 1)
    return {
      description: "fake",
      send: (message) => {
        this.sent.push(message)
      },
      close: () => handlers.closed("closed by the core"),
    }
  }
}

const quiet = (refused: string[] = []): LinkHandlers => ({
  hostCall: () => {},
  crashed: () => {},
  closed: () => {},
  refused: (reason) => refused.push(reason),
})

test("a runtime that speaks before its hello is refused", async () => {
  const fake = new FakeRuntimeTransport((rt) => rt.handlers.message({ type: "result", id: 1, value: null }))
  await expect(RuntimeLink.connect(fake, quiet(), 1000)).rejects.toThrow("The plugin runtime spoke before its hello: result")
})

test("a runtime that never says hello fails at the deadline", async () => {
  const fake = new FakeRuntimeTransport(() => {})
  await expect(RuntimeLink.connect(fake, quiet(), 50)).rejects.toThrow("did not say hello within 50 ms")
})

test("a runtime speaking another protocol version is refused", async () => {
  const fake = new FakeRuntimeTransport((rt) => rt.handlers.message({ ...HELLO, protocol: 2 }))
  await expect(RuntimeLink.connect(fake, quiet(), 1000)).rejects.toThrow(/before its hello: hello: field \/protocol/)
})

test("a malformed answer is refused, naming the field, and fails the request it claimed to answer", async () => {
  const refused: string[] = []
  const fake = new FakeRuntimeTransport((rt) => rt.handlers.message(HELLO))
  const link = await RuntimeLink.connect(fake, quiet(refused), 1000)
  const pending = link.request({ type: "stats" }, 1000)
  await Bun.sleep(5)
  const id = (fake.sent[0] as { id: number }).id
  fake.handlers.message({ type: "error", id, code: "NOT_A_CODE", message: "x" })
  expect(await pending).toEqual({
    ok: false,
    code: "RUNTIME_BAD_MESSAGE",
    message: expect.stringContaining("error: field /code"),
  })
  expect(refused[0]).toContain("The core refused a message from the plugin runtime")
})

test("a request nobody answers fails at its deadline, and the runtime's death fails the rest", async () => {
  const fake = new FakeRuntimeTransport((rt) => rt.handlers.message(HELLO))
  const link = await RuntimeLink.connect(fake, quiet(), 1000)
  expect(await link.request({ type: "stats" }, 30)).toEqual({
    ok: false,
    code: "PLUGIN_TIMEOUT",
    message: "The plugin runtime did not answer within 30 ms.",
  })
  const orphan = link.request({ type: "stats" }, 10_000)
  fake.handlers.closed("killed")
  expect(await orphan).toEqual({ ok: false, code: "RUNTIME_UNAVAILABLE", message: "The plugin runtime stopped: killed" })
  expect(await link.whenClosed).toBe("killed")
})

test("messages sent in one turn reach the runtime as one batch", async () => {
  const fake = new FakeRuntimeTransport((rt) => rt.handlers.message(HELLO))
  const link = await RuntimeLink.connect(fake, quiet(), 1000)
  for (let i = 0; i < 3; i++) void link.request({ type: "stats" }, 50)
  await Bun.sleep(5)
  expect(fake.sent.map((m) => m.type)).toEqual(["stats", "batch"])
})
