import { expect, test } from "bun:test"
import { createMemoryTicketStore } from "./ticket-store.ts"

const grant = (expiresAt: number) => ({ userId: "u", sessionId: "s", level: "view" as const, expiresAt })

test("a ticket can be taken once", async () => {
  const store = createMemoryTicketStore()
  await store.put("h", grant(Date.now() + 1000))
  expect((await store.take("h"))?.userId).toBe("u")
  expect(await store.take("h")).toBeNull()
})

test("an expired ticket is worth nothing, and old ones are swept as new ones arrive", async () => {
  let now = 1_000
  const store = createMemoryTicketStore(() => now)
  await store.put("old", grant(1_500))
  now = 2_000
  expect(await store.take("old")).toBeNull()
  for (let i = 0; i < 1100; i++) await store.put(`t${i}`, grant(now + (i < 1024 ? -1 : 1000)))
  // The sweep at 1024 entries dropped the expired ones; the fresh ones are still there.
  expect(await store.take("t1099")).not.toBeNull()
  expect(await store.take("t5")).toBeNull()
})
