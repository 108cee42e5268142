// At least once across a crash: an event committed just before SIGKILL reaches its plugin after the restart.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { eventually } from "../../testing/eventually.ts"
import { type ProcessControlPlane, processControlPlane } from "../../testing/core-process.ts"
import { recorderBundle, recorderManifest, type Seen } from "./test-fixtures.ts"

let cp: ProcessControlPlane

beforeAll(async () => {
  cp = await processControlPlane()
})
afterAll(() => cp.close())

test("an event committed before the control plane is killed is delivered after it restarts", async () => {
  // The recorder refuses each event once, so its delivery is still owed (retry ≥ 0.8 s away) when the kill lands.
  const installed = await cp.call<{ id: string }>("/api/v1/plugins", {
    method: "POST",
    body: JSON.stringify({
      source: "upload",
      manifest: recorderManifest("test.crash-recorder", ["user.created"]),
      bundle: recorderBundle("test.crash-recorder"),
      grant: { kv: { quotaBytes: 1024 * 1024 } },
      config: { failTimes: 1 },
    }),
  })
  await eventually(async () => {
    expect((await cp.call<{ status: string }>(`/api/v1/plugins/${installed.id}`)).status).toBe("running")
  }, 60_000)
  const created = await cp.call<{ id: string }>("/api/v1/users", {
    method: "POST",
    body: JSON.stringify({ username: "late-news" }),
  })
  await cp.core.stop("SIGKILL")

  const db = await cp.openDatabase()
  try {
    const [event] = await db.sql<{ id: string }[]>`select id::text as id from outbox
      where type = 'user.created' and payload->>'userId' = ${created.id}`
    expect(event).toBeDefined() // committed with the user
    const delivered = await db.sql`select 1 from event_deliveries
      where event_id = ${event?.id as string} and install_id = ${installed.id} and status = 'delivered'`
    expect(delivered.length).toBe(0) // the kill came between commit and delivery
  } finally {
    await db.close()
  }

  await cp.start()
  const seen = await eventually(
    async () => {
      const res = await cp.fetch(`/api/v1/plugins/${installed.id}/actions/seen`)
      expect(res.status).toBe(200)
      const mine = ((await res.json()) as Seen[]).filter((e) => e.data.userId === created.id)
      expect(mine.length).toBe(1)
      return mine
    },
    60_000,
    200,
  )
  expect(seen[0]).toMatchObject({ type: "user.created", data: { username: "late-news" } })
})
