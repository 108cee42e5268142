// The portal's live event stream (Server-Sent Events): stream tickets, who sees what, the SSE body.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"
import type { EventStreamTicket, StreamSpaceEvent } from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { Unauthenticated } from "../../http/errors.ts"
import { hasRole, type Principal } from "../identity/principal.ts"
import { getActiveUser } from "../users/service.ts"
import { sharedSessionIds } from "../vnc/service.ts"
import * as repo from "./repo.ts"
import type { OutboxTail } from "./tail.ts"

export const STREAM_PATH = "/api/v1/events/stream"
const HEARTBEAT_MS = 15_000
const RECHECK_USER_MS = 60_000
const SHARES_TTL_MS = 5_000
/** How many missed events a reconnecting stream (Last-Event-ID) gets back at most. */
const REPLAY_LIMIT = 500

/**
 * EventSource cannot send an Authorization header, so the stream URL carries a ticket: signed by
 * the core (any replica can check it), valid 30 s, spent on first use on the replica that takes it.
 * Safer than an access token in the URL (logs, history) or a cookie (sent cross-site, needs CSRF care).
 */
export function createStreamTickets(signingKey: string, ttlMs = 30_000) {
  const key = createHmac("sha256", signingKey).update("streamspace.event-stream-ticket").digest()
  const spent = new Map<string, number>()
  const sign = (payload: string) => createHmac("sha256", key).update(payload).digest("base64url")
  return {
    issue(userId: string): EventStreamTicket {
      const expiresAt = Date.now() + ttlMs
      const payload = Buffer.from(JSON.stringify({ u: userId, e: expiresAt, n: randomBytes(12).toString("base64url") })).toString(
        "base64url",
      )
      const ticket = `est_${payload}.${sign(payload)}`
      return { ticket, expiresAt: new Date(expiresAt).toISOString(), url: `${STREAM_PATH}?ticket=${ticket}` }
    },
    /** The user id the ticket was issued to, or null when it is forged, expired or spent. */
    redeem(ticket: string): string | null {
      const match = /^est_([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/.exec(ticket)
      if (!match) return null
      const [, payload = "", signature = ""] = match
      const expected = Buffer.from(sign(payload))
      if (!timingSafeEqual(expected, Buffer.from(signature))) return null
      let claims: { u?: unknown; e?: unknown }
      try {
        claims = JSON.parse(Buffer.from(payload, "base64url").toString())
      } catch {
        return null
      }
      const now = Date.now()
      if (typeof claims.u !== "string" || typeof claims.e !== "number" || claims.e <= now || spent.has(signature)) return null
      for (const [sig, until] of spent) if (until <= now) spent.delete(sig)
      spent.set(signature, claims.e)
      return claims.u
    },
  }
}
export type StreamTickets = ReturnType<typeof createStreamTickets>

export async function principalOfTicket(deps: CoreDeps, tickets: StreamTickets, ticket: string): Promise<Principal> {
  const userId = tickets.redeem(ticket)
  const user = userId === null ? null : await getActiveUser(deps, userId)
  if (user === null)
    throw new Unauthenticated(
      "This stream ticket is unknown, used or expired. Ask for a new one: POST /api/v1/events/stream-ticket.",
    )
  return { id: user.id, username: user.username, role: user.role, via: "token" }
}

/** Admins see every event; others see events about themselves and their own or shared sessions. */
function visibility(deps: CoreDeps, viewer: Principal) {
  if (hasRole(viewer, "admin")) return async () => true
  let shares: { ids: Set<string>; at: number } | null = null
  return async (event: StreamSpaceEvent) => {
    const { userId, sessionId } = event.data
    if (userId === viewer.id) return true
    if (typeof sessionId !== "string") return false
    if (shares === null || Date.now() - shares.at > SHARES_TTL_MS)
      shares = { ids: await sharedSessionIds(deps, viewer.id), at: Date.now() }
    return shares.ids.has(sessionId)
  }
}

const encoder = new TextEncoder()
const frame = (event: StreamSpaceEvent) =>
  encoder.encode(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)

/** The SSE response: missed events after `lastEventId` first, then live ones, heartbeats between. */
export function eventStream(deps: CoreDeps, tail: OutboxTail, viewer: Principal, lastEventId?: string): Response {
  const visible = visibility(deps, viewer)
  let cleanup = () => {}
  // Set by close() or by the client going away, possibly while start() still waits on the tail.
  let closed = false
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      let queue = Promise.resolve()
      const close = () => {
        if (closed) return
        closed = true
        cleanup()
        try {
          controller.close()
        } catch {}
      }
      // A replayed event may also arrive live: each goes out once.
      const sent = new Set<string>()
      // One chain keeps the order while visibility checks wait on the database.
      const send = (event: StreamSpaceEvent) => {
        if (sent.has(event.id)) return
        sent.add(event.id)
        if (sent.size > 2 * REPLAY_LIMIT) sent.delete(sent.values().next().value as string)
        queue = queue.then(async () => {
          if (!closed && (await visible(event)) && !closed) controller.enqueue(frame(event))
        })
        queue = queue.catch((err: unknown) => {
          deps.log.warn({ err, userId: viewer.id }, "an event stream failed; closing it")
          close()
        })
      }
      controller.enqueue(encoder.encode(`retry: 3000\n: connected\n\n`))
      const unsubscribe = await tail.subscribe(send)
      if (lastEventId !== undefined && /^\d{1,19}$/.test(lastEventId))
        for (const row of await repo.eventsAfter(deps.sql, lastEventId, REPLAY_LIMIT)) send(repo.toEvent(row))
      const heartbeat = setInterval(() => {
        if (!closed) controller.enqueue(encoder.encode(": keep-alive\n\n"))
      }, HEARTBEAT_MS)
      // A user disabled since the stream opened stops hearing events.
      const recheck = setInterval(() => {
        void getActiveUser(deps, viewer.id).then((u) => u === null && close())
      }, RECHECK_USER_MS)
      cleanup = () => {
        unsubscribe()
        clearInterval(heartbeat)
        clearInterval(recheck)
      }
      if (closed) cleanup()
    },
    cancel() {
      closed = true
      cleanup()
    },
  })
  return new Response(body, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      "x-accel-buffering": "no",
    },
  })
}
