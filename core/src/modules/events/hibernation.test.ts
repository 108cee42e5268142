// The hibernation plugin on the real core and plugin runtime, with a fake agent scripted frame by frame:
// idle sessions are warned and hibernated, used ones are not, input withdraws a warning.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { join } from "node:path"
import type { PluginManifest } from "@streamspace/schemas"
import { buildPlugin } from "@streamspace/sdk/plugin/build"
import { eventually } from "../../testing/eventually.ts"
import { FakeAgent, fakeCapacity } from "../../testing/fake-agent.ts"
import { xtermTemplate } from "../../testing/templates.ts"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { installPlugin } from "../plugins/service.ts"
import { recordActivity } from "../sessions/service.ts"

const PLUGIN_DIR = join(import.meta.dir, "..", "..", "..", "..", "plugins", "hibernation")

let core: TestCore
let agent: FakeAgent
let owner: TestUser
let templateId: string

beforeAll(async () => {
  core = await startTestCore({
    agents: { heartbeatIntervalMs: 1_000, commandTimeoutMs: 10_000, sweepIntervalMs: 50 },
    plugins: { tickIntervalMs: 250 },
    events: true,
  })
  const admin = await core.admin()
  owner = await core.user("idler")
  templateId = await xtermTemplate(admin)
  const { data: reg } = await admin.api.agents.post({ name: "hibernation-agent", platform: "docker" })
  agent = await FakeAgent.online(core.url as string, reg?.token as string, {
    autoAck: true,
    autoHeartbeat: true,
    hello: { capacity: fakeCapacity(100) },
  })
  agent.capacity = fakeCapacity(100)
  const manifest = (await Bun.file(join(PLUGIN_DIR, "manifest.json")).json()) as PluginManifest
  const { code } = await buildPlugin(join(PLUGIN_DIR, "src", "plugin.ts"))
  // Short times: idle after 6 s, warned 3 s before.
  const installed = await installPlugin(core.deps, core.plugins, {
    source: "upload",
    manifest: manifest as unknown as Record<string, unknown>,
    bundle: code,
    grant: manifest.permissions,
    config: { idleMinutes: 0.1, warningSeconds: 3, action: "hibernate" },
  })
  expect(installed.status).toBe("running")
})
afterAll(async () => {
  await agent.close()
  await core.close()
})

async function runningSession(): Promise<string> {
  const { data: s } = await owner.api.sessions.post({ templateId })
  const start = await agent.next("command", 10_000, (c) => c.sessionId === s?.id && c.action === "session.start")
  agent.send({ type: "command.result", commandId: start.commandId, result: { sessionId: s?.id, state: "running" } })
  await eventually(async () => expect(await stateOf(s?.id as string)).toBe("running"), 10_000)
  return s?.id as string
}

const stateOf = async (id: string) =>
  (await core.db.sql<{ state: string }[]>`select state from sessions where id = ${id}`)[0]?.state
const eventsOf = async (id: string) =>
  core.db.sql<{ type: string; payload: Record<string, unknown> }[]>`select type, payload from outbox
    where payload->>'sessionId' = ${id} order by id`

describe("the hibernation plugin", () => {
  test("an idle session is warned, then hibernated, and wakes when its owner connects; a session with input is left running", async () => {
    const idle = await runningSession()
    const busy = await runningSession()
    // What the VNC relay calls for each viewer input that reaches the session.
    const typing = setInterval(() => void recordActivity(core.deps, busy), 500)
    try {
      const warning = await eventually(
        async () => {
          const found = (await eventsOf(idle)).find((e) => e.type === "session.idle_warning")
          expect(found).toBeDefined()
          return found?.payload as { action: string; deadline: string; userId: string }
        },
        30_000,
        100,
      )
      expect(warning.action).toBe("hibernate")
      expect(warning.userId).toBe(owner.user.id)
      expect(Date.parse(warning.deadline)).toBeGreaterThan(Date.now() - 3_000)

      const hibernate = await agent.next("command", 30_000, (c) => c.sessionId === idle && c.action === "session.hibernate")
      agent.send({ type: "command.result", commandId: hibernate.commandId, result: { sessionId: idle, state: "hibernated" } })
      await eventually(async () => expect(await stateOf(idle)).toBe("hibernated"), 10_000)
      expect((await eventsOf(idle)).map((e) => e.type)).toContain("session.hibernated")

      expect(await stateOf(busy)).toBe("running")
      expect((await eventsOf(busy)).some((e) => e.type === "session.idle_warning")).toBe(false)

      // The owner opens the desktop again: the relay wakes the session.
      const ticket = await owner.fetch(`/api/v1/sessions/${idle}/connect`, { method: "POST" })
      expect(ticket.status).toBe(200)
      const ws = new WebSocket(`${(core.url as string).replace(/^http/, "ws")}${((await ticket.json()) as { url: string }).url}`)
      try {
        const wake = await agent.next("command", 30_000, (c) => c.sessionId === idle && c.action === "session.wake")
        agent.send({ type: "command.result", commandId: wake.commandId, result: { sessionId: idle, state: "running" } })
        await eventually(async () => expect(await stateOf(idle)).toBe("running"), 10_000)
        expect((await eventsOf(idle)).map((e) => e.type)).toContain("session.woken")
      } finally {
        ws.close()
      }
    } finally {
      clearInterval(typing)
    }
  })

  test("input after the warning withdraws it and the session keeps running", async () => {
    const nudged = await runningSession()
    await eventually(
      async () => expect((await eventsOf(nudged)).map((e) => e.type)).toContain("session.idle_warning"),
      30_000,
      50,
    )
    await recordActivity(core.deps, nudged)
    await eventually(
      async () => expect((await eventsOf(nudged)).map((e) => e.type)).toContain("session.idle_warning_cleared"),
      10_000,
      50,
    )
    expect(await stateOf(nudged)).toBe("running")
    expect(agent.messages.some((m) => m.type === "command" && m.sessionId === nudged && m.action === "session.hibernate")).toBe(
      false,
    )
  })
})
