// node:test suite for the runtime's message loop and sandboxes, driven in-process as the core would drive it.
import assert from "node:assert/strict"
import { describe, test } from "node:test"
import type { CoreToRuntime, RuntimeToCore, SandboxLimits } from "@streamspace/schemas"
import { Runtime } from "./runtime.ts"

const LIMITS: SandboxLimits = {
  memoryMb: 16,
  callTimeoutMs: 300,
  loadTimeoutMs: 2000,
  maxPendingHostCalls: 16,
  maxPayloadBytes: 64 * 1024,
}
type Answer = Extract<RuntimeToCore, { type: "result" | "error" }>
type Request = CoreToRuntime extends infer M ? (M extends { id: number } ? Omit<M, "id"> : never) : never

/** Plays the core: numbers requests, answers host calls, records crash reports. */
class TestCore {
  readonly crashes: Extract<RuntimeToCore, { type: "crashed" }>[] = []
  readonly hostCalls: Extract<RuntimeToCore, { type: "hostCall" }>[] = []
  private readonly waiting = new Map<number, (answer: Answer) => void>()
  private nextId = 1
  readonly runtime = new Runtime((message) => this.receive(message))

  constructor(private readonly answerHost: (method: string, args: unknown[]) => unknown = () => null) {}

  private receive(message: RuntimeToCore): void {
    if (message.type === "crashed") this.crashes.push(message)
    else if (message.type === "hostCall") {
      this.hostCalls.push(message)
      const value = this.answerHost(message.method, message.args)
      setImmediate(() => this.runtime.handle({ type: "hostResult", id: message.id, installId: message.installId, value }))
    } else if (message.type === "result" || message.type === "error") {
      this.waiting.get(message.id)?.(message)
      this.waiting.delete(message.id)
    }
  }

  request(message: Request): Promise<Answer> {
    const id = this.nextId++
    return new Promise((resolve) => {
      this.waiting.set(id, resolve)
      this.runtime.handle({ ...message, id })
    })
  }

  load(installId: string, bundle: string, limits: Partial<SandboxLimits> = {}) {
    return this.request({
      type: "load",
      installId,
      pluginId: "test.plugin",
      version: "1.0.0",
      bundle,
      config: { greeting: "hi" },
      limits: { ...LIMITS, ...limits },
    })
  }

  hook(installId: string, input: unknown = { user: { id: "u1" } }, timeoutMs = 2000) {
    return this.request({ type: "callHook", installId, hook: "session.beforeCreate", input, timeoutMs })
  }
}

const plugin = (body: string, prelude = "") => `${prelude}\nexport default { hooks: { "session.beforeCreate": ${body} } }`
const ALLOW = plugin(`async (input, host) => ({ allow: true, reason: host.config.greeting + " " + input.user.id })`)

const expectError = (answer: Answer, code: string) => {
  assert.equal(answer.type, "error", `expected ${code}, got ${JSON.stringify(answer).slice(0, 300)}`)
  if (answer.type === "error") assert.equal(answer.code, code)
}

describe("plugin runtime", () => {
  test("a loaded plugin answers a hook with its config and a host call's result", async () => {
    const core = new TestCore((method) => (method === "clock.now" ? 42 : null))
    const loaded = await core.load(
      "a",
      plugin(`async () => ({ allow: (await clock.now()) === 42 })`, `import { clock } from "host:api"`),
    )
    assert.deepEqual(loaded, { type: "result", id: 1, value: { hooks: ["session.beforeCreate"], events: [] } })
    assert.deepEqual((await core.hook("a")).type === "result" && (await core.hook("a")), {
      type: "result",
      id: 3,
      value: { allow: true },
    })
    assert.equal(core.hostCalls[0]?.method, "clock.now")
    const greeting = await new TestCore().load("b", ALLOW)
    assert.equal(greeting.type, "result")
  })

  test("a bundle that imports anything but host:api is refused at load", async () => {
    const core = new TestCore()
    const answer = await core.load("a", `import fs from "node:fs"; export default { hooks: {} }`)
    expectError(answer, "PLUGIN_LOAD_FAILED")
    assert.match(answer.type === "error" ? answer.message : "", /only "host:api"/)
  })

  test("a plugin that throws at import fails to load and the runtime keeps serving", async () => {
    const core = new TestCore()
    expectError(await core.load("bad", `throw new Error("boom at import")`), "PLUGIN_THREW")
    await core.load("good", ALLOW)
    assert.equal((await core.hook("good")).type, "result")
  })

  test("an endless loop is stopped at the deadline, reported as crashed, and other installs still answer", async () => {
    const core = new TestCore()
    await core.load("loop", plugin(`() => { for (;;) {} }`))
    await core.load("good", ALLOW)
    const started = Date.now()
    expectError(await core.hook("loop", undefined, 100), "PLUGIN_TIMEOUT")
    assert.ok(Date.now() - started < 1000)
    assert.equal(core.crashes[0]?.installId, "loop")
    expectError(await core.hook("loop"), "PLUGIN_NOT_LOADED")
    assert.equal((await core.hook("good")).type, "result")
  })

  test("a loop after a host call is stopped too", async () => {
    const core = new TestCore(() => 1)
    await core.load("a", plugin(`async () => { await clock.now(); for (;;) {} }`, `import { clock } from "host:api"`))
    expectError(await core.hook("a", undefined, 150), "PLUGIN_TIMEOUT")
    assert.equal(core.crashes.length, 1)
  })

  test("a memory bomb hits the isolate's limit and only that install stops", async () => {
    const core = new TestCore()
    await core.load("bomb", plugin(`() => { const a = []; for (;;) a.push(new Array(1e5).fill(Math.random())) }`), {
      callTimeoutMs: 5000,
    })
    const answer = await core.hook("bomb", undefined, 5000)
    expectError(answer, "PLUGIN_OUT_OF_MEMORY")
    assert.equal(core.crashes[0]?.code, "PLUGIN_OUT_OF_MEMORY")
  })

  test("nothing of Node is reachable from the sandbox", async () => {
    const core = new TestCore()
    const probe = `() => {
      const leak = (f) => { try { return typeof f() } catch (e) { return "threw" } }
      return { allow: false, reason: [
        typeof process, typeof require, typeof setTimeout, typeof fetch, typeof __ssSend, typeof module,
        leak(() => globalThis.constructor.constructor("return process")()),
        leak(() => ({}).constructor.constructor("return require")()),
        leak(() => Function("return this")().process),
        leak(() => (function* () {}).constructor("return process")().next()),
      ].join(",") }
    }`
    await core.load("a", plugin(probe))
    const answer = await core.hook("a")
    assert.equal(answer.type, "result", JSON.stringify(answer))
    assert.deepEqual(answer.type === "result" && answer.value, {
      allow: false,
      reason: "undefined,undefined,undefined,undefined,undefined,undefined,threw,threw,undefined,threw",
    })
  })

  test("a result larger than the payload limit stops the plugin", async () => {
    const core = new TestCore()
    await core.load("a", plugin(`() => ({ allow: true, reason: "x".repeat(200000) })`))
    expectError(await core.hook("a"), "PLUGIN_RESULT_TOO_LARGE")
    assert.equal(core.crashes[0]?.code, "PLUGIN_RESULT_TOO_LARGE")
  })

  test("a plugin that floods the host with pending calls is stopped", async () => {
    const core = new TestCore()
    await core.load(
      "a",
      plugin(
        `async () => { await Promise.all(Array.from({ length: 100 }, () => kv.get("k"))); return { allow: true } }`,
        `import { kv } from "host:api"`,
      ),
    )
    expectError(await core.hook("a"), "PLUGIN_FLOODED_HOST")
  })

  test("host calls from code left running after the hook answered are refused", async () => {
    const core = new TestCore(() => 1)
    await core.load(
      "a",
      plugin(
        `() => { globalThis.later = clock.now().then(() => clock.now()).catch((e) => e.message); return { allow: true } }`,
        `import { clock } from "host:api"`,
      ),
    )
    assert.equal((await core.hook("a")).type, "result")
    await new Promise((r) => setTimeout(r, 50))
    assert.equal(core.hostCalls.length, 1)
  })

  test("a throwing hook is reported and the install is stopped", async () => {
    const core = new TestCore()
    await core.load("a", plugin(`() => { throw new TypeError("nope") }`))
    const answer = await core.hook("a")
    expectError(answer, "PLUGIN_THREW")
    assert.match(answer.type === "error" ? answer.message : "", /TypeError: nope/)
  })

  test("a malformed message is refused with the field named", async () => {
    const core = new TestCore()
    const answer = await core.request({ type: "callHook", installId: "", hook: "session.beforeCreate", input: {}, timeoutMs: 10 })
    expectError(answer, "RUNTIME_BAD_MESSAGE")
    assert.match(answer.type === "error" ? answer.message : "", /field \/installId/)
  })

  test("CPU time is accounted per install", async () => {
    const core = new TestCore()
    await core.load("busy", plugin(`() => { let x = 0; for (let i = 0; i < 2e8; i++) x += i; return { allow: x > 0 } }`), {
      callTimeoutMs: 5000,
    })
    await core.load("idle", ALLOW)
    await core.hook("busy", undefined, 5000)
    const stats = await core.request({ type: "stats" })
    const installs =
      stats.type === "result" ? (stats.value as { installs: { installId: string; cpuTimeUs: number }[] }).installs : []
    const cpu = Object.fromEntries(installs.map((s) => [s.installId, s.cpuTimeUs]))
    assert.ok((cpu.busy ?? 0) > 50_000 && (cpu.idle ?? 0) < (cpu.busy ?? 0) / 4, JSON.stringify(cpu))
  })
})
