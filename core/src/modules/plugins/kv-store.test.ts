import { afterAll, beforeAll, expect, test } from "bun:test"
import type { PluginInstall } from "@streamspace/schemas"
import { startTestCore, type TestCore } from "../../testing/test-core.ts"
import { createKvStore } from "./kv-store.ts"
import { probeManifest, upload } from "./test-fixtures.ts"

let core: TestCore
let installId: string

beforeAll(async () => {
  core = await startTestCore()
  const admin = await core.admin()
  const res = await admin.fetch("/api/v1/plugins", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...upload(probeManifest({ id: "test.kv" })), grant: probeManifest().permissions, enabled: false }),
  })
  expect(res.status).toBe(201)
  installId = ((await res.json()) as PluginInstall).id
})
afterAll(() => core.close())

const ctx = () => ({ installId, pluginId: "test.kv", permissions: { kv: { quotaBytes: 4096 } } })

test("parallel increments of one key all count: none reads a value another is about to replace", async () => {
  const kv = createKvStore(core.db.sql)
  const answers = await Promise.all(
    Array.from({ length: 40 }, () => kv.increment(ctx(), "failures", 1, { quotaBytes: 4096, ttlSeconds: 60 })),
  )
  expect(await kv.get(ctx(), "failures")).toBe(40)
  expect([...answers].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1))
})

test("an increment keeps the key's expiry; text cannot be incremented; the quota holds", async () => {
  const kv = createKvStore(core.db.sql)
  await kv.increment(ctx(), "window", 1, { quotaBytes: 4096, ttlSeconds: 60 })
  const [first] = await core.db.sql<{ expiresAt: string }[]>`select expires_at::text from plugin_kv
    where install_id = ${installId} and key = 'window'`
  await Bun.sleep(20)
  expect(await kv.increment(ctx(), "window", 5, { quotaBytes: 4096, ttlSeconds: 600 })).toBe(6)
  const [second] = await core.db.sql<{ expiresAt: string }[]>`select expires_at::text from plugin_kv
    where install_id = ${installId} and key = 'window'`
  expect(second?.expiresAt).toBe(first?.expiresAt as string)

  await kv.set(ctx(), "name", "alice", { quotaBytes: 4096 })
  await expect(kv.increment(ctx(), "name", 1, { quotaBytes: 4096 })).rejects.toMatchObject({ code: "HOST_BAD_ARGUMENTS" })
  await expect(kv.increment(ctx(), "k".repeat(100), 1, { quotaBytes: 50 })).rejects.toMatchObject({
    code: "HOST_QUOTA_EXCEEDED",
  })
})
