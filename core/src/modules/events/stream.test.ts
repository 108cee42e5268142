import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { EventStreamTicket, StreamSpaceEvent } from "@streamspace/schemas"
import { xtermTemplate } from "../../testing/templates.ts"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"

/** Reads Server-Sent Events from a response body, one parsed event at a time. */
function sse(res: Response) {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader()
  const decoder = new TextDecoder()
  let buffer = ""
  const events: StreamSpaceEvent[] = []
  return {
    /** The next event that satisfies `match`; others are kept in `skipped`. */
    async next(match: (e: StreamSpaceEvent) => boolean, timeoutMs = 30_000): Promise<StreamSpaceEvent> {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const found = events.findIndex(match)
        if (found >= 0) return events.splice(found, 1)[0] as StreamSpaceEvent
        if (Date.now() > deadline) throw new Error(`no matching event within ${timeoutMs} ms`)
        const chunk = await Promise.race([reader.read(), Bun.sleep(deadline - Date.now()).then(() => null)])
        if (chunk === null) continue
        if (chunk.done) throw new Error("the stream ended")
        buffer += decoder.decode(chunk.value, { stream: true })
        let end = buffer.indexOf("\n\n")
        while (end >= 0) {
          const block = buffer.slice(0, end)
          buffer = buffer.slice(end + 2)
          const data = block
            .split("\n")
            .filter((l) => l.startsWith("data: "))
            .map((l) => l.slice(6))
            .join("\n")
          if (data) events.push(JSON.parse(data))
          end = buffer.indexOf("\n\n")
        }
      }
    },
    /** Everything received but not yet taken by next(). */
    pending: () => events,
    close: () => reader.cancel(),
  }
}

describe("the live event stream", () => {
  let core: TestCore
  let admin: TestUser
  let alice: TestUser
  let bob: TestUser
  let templateId: string
  const streams: { close(): Promise<void> }[] = []

  beforeAll(async () => {
    core = await startTestCore()
    admin = await core.admin()
    ;[alice, bob] = (await core.users("alice", "bob")) as [TestUser, TestUser]
    templateId = await xtermTemplate(admin)
  })
  afterAll(async () => {
    for (const s of streams) await s.close().catch(() => {})
    await core.close()
  })

  const ticketFor = async (who: TestUser) => {
    const res = await who.fetch("/api/v1/events/stream-ticket", { method: "POST" })
    expect(res.status).toBe(201)
    return (await res.json()) as EventStreamTicket
  }
  const open = async (who: TestUser, extra = "") => {
    const { url } = await ticketFor(who)
    const res = await core.fetch(`${url}${extra}`) // no Authorization header: EventSource sends none
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toContain("text/event-stream")
    const stream = sse(res)
    streams.push(stream)
    return stream
  }
  const launch = async (who: TestUser) => {
    const res = await who.fetch("/api/v1/sessions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ templateId }),
    })
    expect(res.status).toBe(201)
    return ((await res.json()) as { id: string }).id
  }
  const about = (type: string, sessionId: string) => (e: StreamSpaceEvent) => e.type === type && e.data.sessionId === sessionId

  test("a user hears about their own sessions and not about another user's; an admin hears both", async () => {
    const aliceStream = await open(alice)
    const adminStream = await open(admin)
    const bobs = await launch(bob)
    const alices = await launch(alice)
    const heard = await aliceStream.next((e) => e.type === "session.created")
    // Events arrive in commit order, so Bob's (earlier) would have come first had Alice been allowed it.
    expect(heard.data).toMatchObject({ sessionId: alices, userId: alice.user.id })
    expect(aliceStream.pending().some((e) => e.data.sessionId === bobs)).toBe(false)
    await adminStream.next(about("session.created", bobs))
    await adminStream.next(about("session.created", alices))
  })

  test("a share holder hears about the shared session", async () => {
    const bobs = await launch(bob)
    const shared = await bob.fetch(`/api/v1/sessions/${bobs}/shares`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "alice", level: "view" }),
    })
    expect(shared.status).toBe(201)
    const aliceStream = await open(alice)
    expect((await bob.fetch(`/api/v1/sessions/${bobs}`, { method: "DELETE" })).status).toBeLessThan(300)
    const stopped = await aliceStream.next(about("session.stopped", bobs))
    expect(stopped.data.userId).toBe(bob.user.id)
  })

  test("a reconnecting stream gets what it missed after Last-Event-ID", async () => {
    const first = await launch(alice)
    const [row] = await core.db.sql<{ id: string }[]>`select id::text as id from outbox
      where type = 'session.created' and payload->>'sessionId' = ${first}`
    const second = await launch(alice)
    const resumed = await open(alice, `&lastEventId=${row?.id}`)
    const missed = await resumed.next((e) => e.type === "session.created")
    expect(missed.data.sessionId).toBe(second)
  })

  test("a ticket opens one stream only; forged, missing and anonymous requests get 401 problems", async () => {
    const { url, ticket } = await ticketFor(alice)
    const res = await core.fetch(url)
    expect(res.status).toBe(200)
    await res.body?.cancel()
    const again = await core.fetch(url)
    expect(again.status).toBe(401)
    expect(again.headers.get("content-type")).toContain("application/problem+json")
    expect(((await again.json()) as { code: string }).code).toBe("UNAUTHENTICATED")
    const forged = `${ticket.slice(0, -3)}${ticket.endsWith("AAA") ? "BBB" : "AAA"}`
    expect((await core.fetch(`/api/v1/events/stream?ticket=${forged}`)).status).toBe(401)
    expect((await core.fetch("/api/v1/events/stream?ticket=nonsense")).status).toBe(401)
    expect((await core.fetch("/api/v1/events/stream")).status).toBe(401)
    expect((await core.fetch("/api/v1/events/stream-ticket", { method: "POST" })).status).toBe(401)
  })

  test("an API client may open the stream with its bearer token instead of a ticket", async () => {
    const res = await bob.fetch("/api/v1/events/stream")
    expect(res.status).toBe(200)
    const stream = sse(res)
    streams.push(stream)
    const id = await launch(bob)
    await stream.next(about("session.created", id))
  })
})
