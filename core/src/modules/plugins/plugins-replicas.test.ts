import { afterAll, beforeAll, expect, test } from "bun:test"
import type { PluginInstall } from "@streamspace/schemas"
import { createApp } from "../../app.ts"
import { createLogger } from "../../infra/log.ts"
import { startTestCore, TEST_SIGNING_KEY, type TestCore } from "../../testing/test-core.ts"
import { probeManifest, upload } from "./test-fixtures.ts"

let core: TestCore
let replica: ReturnType<typeof createApp>

beforeAll(async () => {
  core = await startTestCore({ plugins: true })
  // A second control plane on the same database, as another replica would be.
  replica = createApp({
    db: core.db,
    log: createLogger("silent"),
    signingKey: TEST_SIGNING_KEY,
    accessTokenTtlSeconds: 900,
    plugins: { run: true, reconcileIntervalMs: 100 },
  })
  await replica.plugins.ready
})
afterAll(async () => {
  await replica.plugins.stop()
  await replica.audit.settled()
  await core.close()
})

test("an install, a config change and a disable made on one replica reach the other", async () => {
  const admin = await core.admin()
  const { data: template } = await admin.api.templates.post({
    name: "xterm",
    displayName: "XTerm",
    category: "Development",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 512 },
  })
  const user = await core.user("on-both")
  const launchOnReplica = async () => {
    const res = await replica.app.handle(
      new Request("http://localhost/api/v1/sessions", {
        method: "POST",
        headers: { authorization: `Bearer ${user.token}`, "content-type": "application/json" },
        body: JSON.stringify({ templateId: template?.id }),
      }),
    )
    return { status: res.status, detail: ((await res.json()) as { detail?: string }).detail }
  }
  const eventually = async (expected: { status: number; detail?: string }) => {
    let last = await launchOnReplica()
    for (let i = 0; i < 100 && (last.status !== expected.status || last.detail !== expected.detail); i++) {
      await Bun.sleep(50)
      last = await launchOnReplica()
    }
    expect(last).toMatchObject(expected)
  }

  const res = await admin.fetch("/api/v1/plugins", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...upload(probeManifest({ id: "test.everywhere" })), grant: {}, config: { action: "deny" } }),
  })
  const installed = (await res.json()) as PluginInstall
  await eventually({ status: 403, detail: "denied by test.everywhere" })

  await admin.fetch(`/api/v1/plugins/${installed.id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ config: { action: "allow" } }),
  })
  await eventually({ status: 201 })

  await admin.fetch(`/api/v1/plugins/${installed.id}`, {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ config: { action: "deny" } }),
  })
  await eventually({ status: 403, detail: "denied by test.everywhere" })
  await admin.fetch(`/api/v1/plugins/${installed.id}/disable`, { method: "POST" })
  await eventually({ status: 201 })
})
