// Hostile plugins against the real runtime: each is contained, marked crashed, and the rest keeps answering.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { PluginManifest } from "@streamspace/schemas"
import { InMemoryHostApi } from "./in-memory-host.ts"
import { PluginSupervisor } from "./supervisor.ts"
import { ALICE, ALLOW_ALL, beforeCreateInput, hookBundle, install } from "./test-fixtures.ts"

const host = new InMemoryHostApi({ users: [ALICE] })
const supervisor = new PluginSupervisor({
  host,
  // No retries during these tests: a crashed install must stay visibly crashed.
  crashBackoff: { initialMs: 60_000, maxMs: 60_000, maxCrashes: 5, stableAfterMs: 60_000 },
  limits: { maxPendingHostCalls: 32, maxPayloadBytes: 256 * 1024 },
})
let runtimePid: number | undefined

beforeAll(async () => {
  await supervisor.start()
  runtimePid = supervisor.runtimePid
  await supervisor.install(install("bystander", ALLOW_ALL))
})
afterAll(() => supervisor.stop())

/** Installs `bundle`, calls its hook, and checks the containment every hostile case must show. */
// Deadlines are generous unless a case is about them: a busy CI machine must not turn a flood into a timeout.
const containHostile = async (
  installId: string,
  bundle: string,
  expectedCode: string,
  overrides: Partial<PluginManifest> = { limits: { memoryMb: 16, hookTimeoutMs: 2000 } },
) => {
  await supervisor.install(install(installId, bundle, overrides))
  const outcome = await supervisor.callHook("session.beforeCreate", installId, beforeCreateInput())
  expect(outcome).toMatchObject({
    decidedBy: "fail-closed",
    output: { allow: false, code: "PLUGIN_UNAVAILABLE" },
    error: { code: expectedCode },
  })
  expect(supervisor.status(installId)).toMatchObject({ state: "crashed", error: { code: expectedCode } })
  const bystander = await supervisor.callHook("session.beforeCreate", "bystander", beforeCreateInput())
  expect(bystander).toEqual({ installId: "bystander", decidedBy: "plugin", output: { allow: true } })
  expect(supervisor.runtimePid).toBe(runtimePid as number)
  return outcome
}

describe("hostile plugins are contained", () => {
  test("an infinite loop is stopped at the hook deadline", async () => {
    const started = performance.now()
    await containHostile("loop", hookBundle(`() => { while (true) {} }`), "PLUGIN_TIMEOUT", {
      limits: { memoryMb: 16, hookTimeoutMs: 100 },
    })
    expect(performance.now() - started).toBeLessThan(1500)
  })

  test("a memory bomb hits the isolate's memory limit", async () => {
    const bomb = hookBundle(`() => { const hoard = []; for (;;) hoard.push(new Array(1e5).fill({ x: Math.random() })) }`)
    await containHostile("bomb", bomb, "PLUGIN_OUT_OF_MEMORY", { limits: { memoryMb: 16, hookTimeoutMs: 5000 } })
  })

  test("prototype and constructor escapes find no process or require", async () => {
    const probe = hookBundle(`() => {
      const tries = [
        () => globalThis.constructor.constructor("return process")(),
        () => ({}).constructor.constructor("return require")(),
        () => Object.getPrototypeOf(function () {}).constructor("return this")().process.exit(1),
        () => [].map.constructor("return process.mainModule")(),
        () => {
          Error.prepareStackTrace = (_, frames) => frames.map((f) => f.getThis())
          const receivers = new Error().stack
          Error.prepareStackTrace = undefined
          return receivers.map((r) => r && r.process).find(Boolean)
        },
      ]
      const reached = tries.map((t) => { try { const v = t(); return typeof v === "object" && v !== null && "pid" in v } catch { return false } })
      if (typeof process !== "undefined" || typeof require !== "undefined" || reached.some(Boolean)) return { allow: true, reason: "escaped" }
      throw new Error("no way out")
    }`)
    const outcome = await containHostile("escape", probe, "PLUGIN_THREW")
    expect(outcome.error?.message).toContain("no way out")
  })

  test("WebAssembly memory, which the isolate's heap limit does not count, is not there to fill", async () => {
    const wasm = hookBundle(`() => {
      const memory = new WebAssembly.Memory({ initial: 16384 })
      new Uint8Array(memory.buffer).fill(1)
      return { allow: true }
    }`)
    const outcome = await containHostile("wasm", wasm, "PLUGIN_THREW")
    expect(outcome.error?.message).toContain("WebAssembly is not defined")
  })

  test("a huge result is refused before it reaches the core", async () => {
    await containHostile(
      "huge",
      hookBundle(`() => ({ allow: true, reason: "x".repeat(1024 * 1024) })`),
      "PLUGIN_RESULT_TOO_LARGE",
      {
        limits: { memoryMb: 64, hookTimeoutMs: 1000 },
      },
    )
  })

  test("a flood of concurrent host calls stops the plugin", async () => {
    const flood = hookBundle(
      `async (_, host) => { await Promise.all(Array.from({ length: 1000 }, () => host.clock.now())); return { allow: true } }`,
    )
    await containHostile("flood", flood, "PLUGIN_FLOODED_HOST")
  })

  test("endless recursive host calls run into the deadline", async () => {
    const recursive = hookBundle(
      `async (_, host) => { const again = async () => { await host.clock.now(); return again() }; return again() }`,
    )
    await containHostile("recursive", recursive, "PLUGIN_TIMEOUT", { limits: { memoryMb: 16, hookTimeoutMs: 200 } })
    const stats = await supervisor.stats()
    expect(stats.installs.find((s) => s.installId === "recursive")).toBeUndefined()
  })

  test("oversized host-call arguments stop the plugin", async () => {
    const big = hookBundle(`async (_, host) => { await host.log.info("x".repeat(300 * 1024)); return { allow: true } }`, "")
    await containHostile("bigargs", big, "PLUGIN_FLOODED_HOST", { limits: { memoryMb: 32, hookTimeoutMs: 1000 } })
  })

  test("permission violations come back as errors the plugin can see, and it cannot widen its grant", async () => {
    const snoop = hookBundle(`async (_, host) => {
      const codes = []
      for (const attempt of [
        () => host.secrets.get("ADMIN_TOKEN"),
        () => host.http.fetch("http://169.254.169.254/latest/meta-data/"),
        () => host.users.lookup({ username: "alice" }),
        () => host.crypto.hashPassword("pw"),
      ]) { try { await attempt(); codes.push("allowed") } catch (e) { codes.push(e.code) } }
      throw new Error(codes.join(","))
    }`)
    const outcome = await containHostile("snoop", snoop, "PLUGIN_THREW")
    expect(outcome.error?.message).toContain(
      "HOST_PERMISSION_DENIED,HOST_PERMISSION_DENIED,HOST_PERMISSION_DENIED,HOST_PERMISSION_DENIED",
    )
  })

  test("a plugin that throws at import is marked crashed and never answers", async () => {
    const status = await supervisor.install(install("import-throw", `throw new Error("boom")\nexport default {}`))
    expect(status).toMatchObject({ state: "crashed", error: { code: "PLUGIN_THREW" } })
    const outcome = await supervisor.callHook("session.beforeCreate", "import-throw", beforeCreateInput())
    expect(outcome.decidedBy).toBe("fail-closed")
    expect((await supervisor.callHook("session.beforeCreate", "bystander", beforeCreateInput())).decidedBy).toBe("plugin")
  })

  test("a bundle that tries to import a Node module is disabled at load", async () => {
    const status = await supervisor.install(
      install("node-import", `import { execSync } from "node:child_process"\nexport default { hooks: {} }`),
    )
    expect(status).toMatchObject({ state: "disabled", error: { code: "PLUGIN_LOAD_FAILED" } })
  })
})
