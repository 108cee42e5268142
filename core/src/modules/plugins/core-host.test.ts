import { afterAll, beforeAll, expect, test } from "bun:test"
import type { Session } from "@streamspace/schemas"
import { startTestCore, type TestCore } from "../../testing/test-core.ts"
import { createCoreHost } from "./core-host.ts"
import { parseAllowance } from "./ssrf-guard.ts"

let core: TestCore
let host: ReturnType<typeof createCoreHost>
const ctx = { installId: crypto.randomUUID(), pluginId: "test.janitor", permissions: { sessions: "write" as const } }

beforeAll(async () => {
  core = await startTestCore()
  host = createCoreHost(core.deps, {
    secretsKey: () => Buffer.alloc(32),
    http: { timeoutMs: 1000, maxResponseBytes: 1024 },
    allowPrivate: parseAllowance([]),
  })
})
afterAll(() => core.close())

async function launch(): Promise<Session> {
  const admin = await core.admin()
  const { data: template } = await admin.api.templates.post({
    name: `t-${crypto.randomUUID().slice(0, 8)}`,
    displayName: "T",
    category: "Test",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 512 },
  })
  const alice = await core.user(`alice-${crypto.randomUUID().slice(0, 8)}`)
  const { data } = await alice.api.sessions.post({ templateId: template?.id as string })
  return data as Session
}

test("a plugin granted sessions: write stops a session through the state machine, with its reason kept", async () => {
  const s = await launch()
  const stopped = await host.sessions.stop(ctx, s.id, "idle for 30 minutes")
  expect(stopped).toMatchObject({ id: s.id, state: "stopped", reason: "idle for 30 minutes" })
  const [row] = await core.db.sql`select type from outbox where payload->>'sessionId' = ${s.id} order by id desc limit 1`
  expect(row?.type).toBe("session.stopped")
  await expect(host.sessions.stop(ctx, s.id, undefined)).rejects.toMatchObject({ code: "HOST_CALL_FAILED" })
  await expect(host.sessions.stop(ctx, crypto.randomUUID(), undefined)).rejects.toMatchObject({ code: "HOST_CALL_FAILED" })
})

test("hibernating needs an agent hub; without one the plugin gets the core's reason, not a crash", async () => {
  const s = await launch()
  await expect(host.sessions.hibernate(ctx, s.id)).rejects.toMatchObject({
    code: "HOST_CALL_FAILED",
    message: expect.stringContaining("no agent hub"),
  })
})
