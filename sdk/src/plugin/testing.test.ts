import { expect, test } from "bun:test"
import { join } from "node:path"
import type { PluginManifest, Session } from "@streamspace/schemas"
import manifestJson from "./fixtures/manifest.json"
import { startPluginHarness } from "./testing.ts"

const manifest = manifestJson as PluginManifest
const entry = join(import.meta.dir, "fixtures", "quota-plugin.ts")
const user = { id: "0b7c2a8e-4f51-4d3a-9c8e-2f1d5a6b7c80", username: "alice", role: "user" as const }
const input = {
  user,
  request: { templateId: "9f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", templateName: "xterm", resources: { cpu: 1, memory: 512 } },
}
const session = (n: number): Session => ({
  id: `5e0d7a1c-1111-4a2b-8c3d-${String(n).padStart(12, "0")}`,
  userId: user.id,
  templateId: input.request.templateId,
  templateName: "xterm",
  state: "running",
  reason: null,
  agentId: null,
  resources: { cpu: 1, memory: 512 },
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  startedAt: null,
  stoppedAt: null,
  lastActivityAt: null,
})

test("the harness builds the plugin and runs it in the real runtime against the in-memory host", async () => {
  await using plugin = await startPluginHarness({ manifest, entry, config: { maxSessions: 2 }, data: { sessions: [session(1)] } })
  expect(plugin.status().state).toBe("running")
  expect((await plugin.hook("session.beforeCreate", input)).output).toEqual({ allow: true })

  plugin.host.sessionsById.set(session(2).id, session(2))
  const denied = await plugin.hook("session.beforeCreate", input)
  expect(denied).toMatchObject({ decidedBy: "plugin", output: { allow: false, code: "QUOTA_EXCEEDED" } })
  const ctx = { installId: plugin.installId, pluginId: manifest.id, permissions: manifest.permissions }
  expect(await plugin.host.kv.get(ctx, `checked:${user.id}`)).toBe(2)

  expect(await plugin.event("session.started")).toEqual({ installId: plugin.installId, delivered: true })
  expect(await plugin.host.kv.get(ctx, "last-event")).toBe("session.started")
})

test("a grant narrower than the manifest shows up as the plugin's failure, decided by its fail mode", async () => {
  await using plugin = await startPluginHarness({ manifest, entry, granted: { kv: { quotaBytes: 1024 } } })
  const outcome = await plugin.hook("session.beforeCreate", input)
  expect(outcome).toMatchObject({ decidedBy: "fail-closed", error: { code: "PLUGIN_THREW" } })
  expect(outcome.error?.message).toContain("HOST_PERMISSION_DENIED")
  expect(plugin.status().state).toBe("crashed")
})
