import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { PluginInstall, PluginInstallDetail, Problem } from "@streamspace/schemas"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import type { PluginHostOptions } from "./plugin-host.ts"
import { probeManifest, upload } from "./test-fixtures.ts"

interface Setup {
  core: TestCore
  admin: TestUser
  user: TestUser
  templateId: string
}

async function setUp(plugins: Partial<PluginHostOptions>): Promise<Setup> {
  const core = await startTestCore({ plugins })
  const admin = await core.admin()
  const { data } = await admin.api.templates.post({
    name: "xterm",
    displayName: "XTerm",
    category: "Development",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 512 },
  })
  return { core, admin, user: await core.user("someone"), templateId: data?.id as string }
}

const send = (s: Setup, method: string, path: string, body?: unknown) =>
  s.admin.fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const launch = (s: Setup) =>
  s.user.fetch("/api/v1/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ templateId: s.templateId }),
  })

const install = async (s: Setup, id: string, failMode: "open" | "closed", action: string) => {
  const manifest = probeManifest({
    id,
    hooks: [{ name: "session.beforeCreate", failMode }],
    limits: { memoryMb: 16, hookTimeoutMs: 1000 },
  })
  const res = await send(s, "POST", "/api/v1/plugins", { ...upload(manifest), grant: {}, config: { action } })
  expect(res.status).toBe(201)
  return (await res.json()) as PluginInstall
}

const detail = async (s: Setup, id: string) =>
  (await (await send(s, "GET", `/api/v1/plugins/${id}`)).json()) as PluginInstallDetail

describe("a plugin that loops", () => {
  let s: Setup
  // Retries far in the future, so the test sees the crashed state rather than the reload.
  beforeAll(async () => {
    s = await setUp({ supervisor: { crashBackoff: { initialMs: 60_000, maxMs: 60_000, maxCrashes: 5, stableAfterMs: 60_000 } } })
  })
  afterAll(() => s.core.close())

  test("is stopped at its deadline and marked crashed, while the control plane keeps serving", async () => {
    const looping = await install(s, "test.loop-open", "open", "loop")
    const finished: string[] = []
    const creating = launch(s).then((res) => {
      finished.push("launch")
      return res
    })
    const listing = s.user.fetch("/api/v1/templates").then((res) => {
      finished.push("templates")
      return res
    })
    const [created, listed] = await Promise.all([creating, listing])
    expect(listed.status).toBe(200)
    expect(finished).toEqual(["templates", "launch"]) // answered while the plugin was still looping
    expect(created.status).toBe(201) // fail-open: the launch goes ahead without the plugin's answer

    const crashed = await detail(s, looping.id)
    expect(crashed.status).toBe("crashed")
    expect(crashed.lastError?.code).toBe("PLUGIN_TIMEOUT")
    expect(crashed.recentErrors.map((e) => e.code)).toEqual(["PLUGIN_TIMEOUT"])
    expect((await launch(s)).status).toBe(201) // still crashed: its fail mode answers at once
    await send(s, "POST", `/api/v1/plugins/${looping.id}/disable`)
  })

  test("a fail-closed hook whose plugin crashes refuses the launch until the plugin is back", async () => {
    const looping = await install(s, "test.loop-closed", "closed", "loop")
    const refused = await launch(s)
    expect(refused.status).toBe(503)
    const problem = (await refused.json()) as Problem
    expect(problem.code).toBe("PLUGIN_UNAVAILABLE")
    expect(problem.detail).toContain("The test.loop-closed plugin could not decide (PLUGIN_TIMEOUT)")
    expect((await detail(s, looping.id)).status).toBe("crashed")

    await send(s, "PATCH", `/api/v1/plugins/${looping.id}`, { config: { action: "allow" } })
    expect((await detail(s, looping.id)).status).toBe("running")
    expect((await launch(s)).status).toBe(201)
  })
})

describe("when the plugin runtime is killed", () => {
  let s: Setup
  // The runtime stays down for the test: restarts are a minute away.
  beforeAll(async () => {
    s = await setUp({ supervisor: { restartBackoff: { initialMs: 60_000, maxMs: 60_000 } } })
  })
  afterAll(() => s.core.close())

  test("a fail-closed hook denies, and everything else keeps working", async () => {
    const guard = await install(s, "test.guard", "closed", "allow")
    expect((await launch(s)).status).toBe(201)

    const pid = s.core.plugins.runtimePid
    expect(pid).toBeNumber()
    process.kill(pid as number, "SIGKILL")
    for (let i = 0; i < 100 && s.core.plugins.liveStatus(guard.id)?.state === "running"; i++) await Bun.sleep(20)

    const refused = await launch(s)
    expect(refused.status).toBe(503)
    expect(((await refused.json()) as Problem).code).toBe("PLUGIN_UNAVAILABLE")
    expect((await s.user.fetch("/api/v1/templates")).status).toBe(200)
    expect((await send(s, "GET", "/api/v1/plugins")).status).toBe(200)
    expect((await detail(s, guard.id)).status).toBe("loading")
  })
})
