// The session list cache: writes through the API show at once; writes it cannot see show within the TTL.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { LIST_CACHE_TTL_MS } from "./list-cache.ts"
import { recordActivity, transition } from "./service.ts"

let core: TestCore
let owner: TestUser
let templateId: string

const listed = async (who: TestUser, query = "") =>
  (await (await who.fetch(`/api/v1/sessions${query}`)).json()) as {
    items: { id: string; state: string; lastActivityAt: string | null }[]
    total: number
  }

beforeAll(async () => {
  core = await startTestCore()
  const admin = await core.admin()
  const { data } = await admin.api.templates.post({
    name: "cached",
    displayName: "Cached",
    category: "Test",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 256 },
  })
  templateId = data?.id as string
  owner = await core.user("cache-owner")
})
afterAll(() => core.close())

describe("session list cache", () => {
  test("a launch, a state change, an activity and a delete show in the next list at once", async () => {
    expect((await listed(owner)).total).toBe(0)
    const { data: s } = await owner.api.sessions.post({ templateId })
    const id = s?.id as string
    expect((await listed(owner)).items.map((x) => x.id)).toEqual([id])
    await transition(core.deps, id, "starting")
    expect((await listed(owner)).items[0]?.state).toBe("starting")
    await recordActivity(core.deps, id)
    expect((await listed(owner)).items[0]?.lastActivityAt).not.toBeNull()
    await transition(core.deps, id, "failed")
    await owner.fetch(`/api/v1/sessions/${id}`, { method: "DELETE" })
    expect((await listed(owner)).total).toBe(0)
  })

  test("a change made behind its back (another replica) shows within the TTL", async () => {
    const { data: s } = await owner.api.sessions.post({ templateId })
    expect((await listed(owner, "?state=pending")).total).toBe(1)
    await core.db.sql`update sessions set state = 'failed' where id = ${s?.id as string}`
    expect((await listed(owner, "?state=pending")).total).toBe(1) // still the cached page
    await Bun.sleep(LIST_CACHE_TTL_MS + 50)
    expect((await listed(owner, "?state=pending")).total).toBe(0)
  })

  test("pages differ by viewer and by query", async () => {
    const other = await core.user("cache-other")
    await other.api.sessions.post({ templateId })
    const mine = await listed(owner)
    const theirs = await listed(other)
    expect(theirs.total).toBe(1)
    expect(mine.items.some((x) => theirs.items[0]?.id === x.id)).toBe(false)
    expect((await listed(owner, "?limit=1")).items).toHaveLength(1)
  })
})
