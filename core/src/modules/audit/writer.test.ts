// The audit writer on a real database: batches land whole, in order, and one bad row loses nothing else.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createLogger } from "../../infra/log.ts"
import { startTestCore, type TestCore } from "../../testing/test-core.ts"
import type { AuditRow } from "./repo.ts"
import { AuditWriter } from "./writer.ts"

let core: TestCore
let writer: AuditWriter

const row = (requestId: string, over: Partial<AuditRow> = {}): AuditRow => ({
  actorId: null,
  actorName: "writer-test",
  action: "writer.test",
  targetType: "writer",
  targetId: null,
  outcome: "success",
  status: 200,
  ip: null,
  requestId,
  detail: { n: 1 },
  ...over,
})
const rowsOf = (prefix: string) =>
  core.db.sql<{ requestId: string; targetId: string | null; at: string }[]>`
    select request_id, target_id, at from audit_events where request_id like ${`${prefix}%`} order by at, request_id`

beforeAll(async () => {
  core = await startTestCore()
  writer = new AuditWriter(core.db.sql, createLogger("silent"))
})
afterAll(() => core.close())

describe("audit writer", () => {
  test("a burst of 1,200 rows lands whole, each with the time it was written", async () => {
    const started = Date.now()
    for (let i = 0; i < 1200; i++) writer.write(row(`burst-${String(i).padStart(4, "0")}`))
    await writer.settled()
    const rows = await rowsOf("burst-")
    expect(rows).toHaveLength(1200)
    expect(rows.map((r) => r.requestId)).toEqual([...rows.map((r) => r.requestId)].sort())
    for (const r of rows) expect(Date.parse(r.at)).toBeGreaterThanOrEqual(started - 1)
  })

  test("rows given as promises are written once they resolve; a failed lookup writes nothing and throws nothing", async () => {
    writer.write(Bun.sleep(30).then(() => row("late-1")))
    writer.write(Promise.reject(new Error("lookup failed")))
    await writer.settled()
    expect((await rowsOf("late-")).map((r) => r.requestId)).toEqual(["late-1"])
  })

  test("a row the database refuses costs only itself", async () => {
    writer.write(row("mixed-1"))
    writer.write(row("mixed-2", { outcome: "maybe" as "success" })) // violates the outcome check
    writer.write(row("mixed-3"))
    await writer.settled()
    expect((await rowsOf("mixed-")).map((r) => r.requestId)).toEqual(["mixed-1", "mixed-3"])
  })

  test("a target id from the URL is stored without NUL and cut to 200 characters", async () => {
    writer.write(row("target-1", { targetId: `a\u0000b${"x".repeat(300)}` }))
    await writer.settled()
    const [stored] = await rowsOf("target-")
    expect(stored?.targetId).toBe(`ab${"x".repeat(198)}`)
  })
})
