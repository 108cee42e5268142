import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { InMemoryHostApi } from "./in-memory-host.ts"
import { PluginInstallError } from "./install-check.ts"
import { type InstallStatus, PluginSupervisor } from "./supervisor.ts"
import { ALICE, ALLOW_ALL, beforeCreateInput, hookBundle, install, QUOTA_BUNDLE, runningSession } from "./test-fixtures.ts"

// Set before the runtime starts: it must not reach the runtime's environment.
process.env.STREAMSPACE_TEST_SECRET = "must-not-leak"
const host = new InMemoryHostApi({ users: [ALICE], sessions: [runningSession(1), runningSession(2)] })
const statuses: InstallStatus[] = []
const supervisor = new PluginSupervisor({
  host,
  crashBackoff: { initialMs: 50, maxMs: 200, maxCrashes: 3, stableAfterMs: 60_000 },
  restartBackoff: { initialMs: 20, maxMs: 200 },
  onStatus: (s) => statuses.push(s),
})
beforeAll(() => supervisor.start())
afterAll(() => supervisor.stop())

const waitFor = async (what: string, ok: () => boolean, ms = 30_000) => {
  const until = Date.now() + ms
  while (!ok()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(10)
  }
}

describe("PluginSupervisor with the real runtime", () => {
  test("a quota plugin reads usage through the host and denies over its limit", async () => {
    const spec = install("quota", QUOTA_BUNDLE, { permissions: { sessions: "read" } }, { maxSessions: 2 })
    expect((await supervisor.install(spec)).state).toBe("running")
    const denied = await supervisor.callHook("session.beforeCreate", "quota", beforeCreateInput())
    expect(denied).toEqual({
      installId: "quota",
      decidedBy: "plugin",
      output: { allow: false, code: "QUOTA_EXCEEDED", reason: "limit of 2 running sessions reached" },
    })
    await supervisor.install({ ...spec, config: { maxSessions: 3 } })
    expect((await supervisor.callHook("session.beforeCreate", "quota", beforeCreateInput())).output).toEqual({ allow: true })
  })

  test("a host call the install was not granted fails inside the plugin with a clear error", async () => {
    const bundle = hookBundle(`async ({ user }, host) => {
      try { await host.sessions.usage(user.id); return { allow: true } }
      catch (e) { return { allow: false, code: e.code, reason: e.message } }
    }`)
    await supervisor.install(install("ungranted", bundle))
    const { output } = await supervisor.callHook("session.beforeCreate", "ungranted", beforeCreateInput())
    expect(output).toEqual({
      allow: false,
      code: "HOST_PERMISSION_DENIED",
      reason: `This install was not granted "sessions: read", which sessions.usage needs; an admin can grant it in the plugin's settings.`,
    })
  })

  test("kv works within the quota and refuses past it", async () => {
    const bundle = hookBundle(`async (_, host) => {
      await host.kv.set("small", "x".repeat(10))
      try { await host.kv.set("big", "x".repeat(500)); return { allow: true } }
      catch (e) { return { allow: (await host.kv.get("small")).length === 10, code: e.code } }
    }`)
    await supervisor.install(install("kv", bundle, { permissions: { kv: { quotaBytes: 100 } } }))
    const { output } = await supervisor.callHook("session.beforeCreate", "kv", beforeCreateInput())
    expect(output).toEqual({ allow: true, code: "HOST_QUOTA_EXCEEDED" })
    expect(host.kvBytes("kv")).toBe(5 + 12)
  })

  test("an answer of the wrong shape is refused: the fail mode decides and the install is marked crashed", async () => {
    await supervisor.install(install("sloppy", hookBundle(`() => ({ allow: "yes" })`)))
    const outcome = await supervisor.callHook("session.beforeCreate", "sloppy", beforeCreateInput())
    expect(outcome.decidedBy).toBe("fail-closed")
    expect(outcome.output).toEqual({
      allow: false,
      code: "PLUGIN_UNAVAILABLE",
      reason: "The test.plugin plugin could not decide (PLUGIN_BAD_RESULT).",
    })
    expect(supervisor.status("sloppy")?.state).toBe("crashed")
  })

  test("a fail-open hook lets the action go on when the plugin fails", async () => {
    await supervisor.install(
      install("open", hookBundle(`() => { throw new Error("oops") }`), {
        hooks: [{ name: "session.beforeCreate", failMode: "open" }],
      }),
    )
    const outcome = await supervisor.callHook("session.beforeCreate", "open", beforeCreateInput())
    expect(outcome).toMatchObject({ decidedBy: "fail-open", output: { allow: true }, error: { code: "PLUGIN_THREW" } })
  })

  test("a crashing install is retried with backoff, then disabled after too many crashes", async () => {
    await supervisor.install(install("flaky", `throw new Error("no config")`))
    expect(supervisor.status("flaky")).toMatchObject({ state: "crashed", crashes: 1, error: { code: "PLUGIN_THREW" } })
    await waitFor("disabled", () => supervisor.status("flaky")?.state === "disabled")
    expect(statuses.filter((s) => s.installId === "flaky").map((s) => s.state)).toEqual([
      "loading",
      "crashed",
      "loading",
      "crashed",
      "loading",
      "disabled",
    ])
    expect((await supervisor.callHook("session.beforeCreate", "flaky", beforeCreateInput())).output.allow).toBe(false)
  })

  test("a manifest declaring a hook the bundle does not export is disabled at once", async () => {
    const status = await supervisor.install(install("hollow", `export default { hooks: {} }`))
    expect(status).toMatchObject({ state: "disabled", error: { code: "PLUGIN_BAD_EXPORT" } })
  })

  test("an install whose manifest needs another host API version is refused with a clear error", async () => {
    const attempt = supervisor.install(install("future", ALLOW_ALL, { hostApi: "^2.0.0" }))
    await expect(attempt).rejects.toBeInstanceOf(PluginInstallError)
    await expect(attempt).rejects.toThrow("test.plugin@1.0.0 needs host:api ^2.0.0; this host provides 1.0.0.")
  })

  test("a grant wider than the manifest's request is refused", async () => {
    const spec = { ...install("greedy", ALLOW_ALL), granted: { crypto: true } }
    await expect(supervisor.install(spec)).rejects.toThrow("The grant gives crypto, which the manifest does not ask for.")
  })

  test("events reach the installs whose patterns match", async () => {
    const bundle = `import { kv } from "host:api"
      export default { hooks: { "session.beforeCreate": () => ({ allow: true }) },
        events: { "session.*": async (event) => { await kv.set("last", event.type) } } }`
    await supervisor.install(install("listener", bundle, { events: ["session.*"], permissions: { kv: { quotaBytes: 1000 } } }))
    expect(supervisor.eventSubscribers("session.started")).toEqual(["listener"])
    expect(supervisor.eventSubscribers("user.created")).toEqual([])
    const event = { id: "e1", type: "session.started", at: new Date().toISOString(), data: {} }
    expect(await supervisor.deliverEvent("listener", event)).toEqual({ installId: "listener", delivered: true })
    const ctx = { installId: "listener", pluginId: "test.plugin", permissions: {} }
    expect(await host.kv.get(ctx, "last")).toBe("session.started")
  })

  test("runHook asks subscribers in priority order and stops at the first deny", async () => {
    await supervisor.install({
      ...install("first", hookBundle(`() => ({ allow: false, reason: "first says no" })`)),
      priority: 1,
    })
    const outcomes = await supervisor.runHook("session.beforeCreate", beforeCreateInput(), (o) => !o.output.allow)
    expect(outcomes.map((o) => o.installId)).toEqual(["first"])
  })

  test("the core passing a malformed hook input is a bug and throws, naming the field", async () => {
    const input = { ...beforeCreateInput(), user: { id: "not-a-uuid", username: "alice", role: "user" } }
    await expect(supervisor.callHook("session.beforeCreate", "quota", input)).rejects.toThrow("invalid at field /user/id")
  })

  test("stats account CPU time per install", async () => {
    const stats = await supervisor.stats()
    const quota = stats.installs.find((s) => s.installId === "quota")
    expect(quota?.calls).toBeGreaterThan(0)
    expect(quota?.cpuTimeUs).toBeGreaterThan(0)
  })

  test("the runtime does not inherit the core's environment (its secrets stay in the core)", async () => {
    const env = await Bun.file(`/proc/${supervisor.runtimePid}/environ`).text()
    expect(
      env
        .split("\0")
        .filter(Boolean)
        .map((kv) => kv.split("=")[0]),
    ).not.toContain("STREAMSPACE_TEST_SECRET")
    expect(env).toContain("PATH=")
  })

  test("a frozen runtime cannot hold a hook past its deadline: the fail mode answers in time", async () => {
    await supervisor.install(install("frozen", ALLOW_ALL, { limits: { memoryMb: 16, hookTimeoutMs: 300 } }))
    const pid = supervisor.runtimePid as number
    process.kill(pid, "SIGSTOP")
    try {
      const started = performance.now()
      const outcome = await supervisor.callHook("session.beforeCreate", "frozen", beforeCreateInput())
      // The hook's deadline is 300 ms; the supervisor allows 250 ms more for the IPC round trip.
      expect(performance.now() - started).toBeLessThan(2000)
      expect(outcome).toMatchObject({ decidedBy: "fail-closed", output: { allow: false }, error: { code: "PLUGIN_TIMEOUT" } })
    } finally {
      process.kill(pid, "SIGCONT")
    }
    expect((await supervisor.callHook("session.beforeCreate", "frozen", beforeCreateInput())).decidedBy).toBe("plugin")
  })

  test("killing the runtime mid-call: the fail-closed hook denies, the runtime restarts and installs are reloaded", async () => {
    await supervisor.install(
      install("slow", hookBundle(`async (_, host) => { for (let i = 0; i < 1e9; i++) {} return { allow: true } }`), {
        limits: { memoryMb: 16, hookTimeoutMs: 5000 },
      }),
    )
    const pid = supervisor.runtimePid
    expect(pid).toBeNumber()
    const call = supervisor.callHook("session.beforeCreate", "slow", beforeCreateInput())
    await Bun.sleep(100)
    process.kill(pid as number, "SIGKILL")
    const outcome = await call
    expect(outcome).toMatchObject({ decidedBy: "fail-closed", output: { allow: false }, error: { code: "RUNTIME_UNAVAILABLE" } })
    await waitFor("a new runtime", () => supervisor.runtimePid !== undefined && supervisor.runtimePid !== pid)
    await waitFor("quota reloaded", () => supervisor.status("quota")?.state === "running")
    expect((await supervisor.callHook("session.beforeCreate", "quota", beforeCreateInput())).decidedBy).toBe("plugin")
  })
})
