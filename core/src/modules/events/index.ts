// Routes: the live event stream (SSE) and its tickets; the admin's dead-letter list and replay.
import {
  DeadLetter,
  DeadLetterParams,
  DeadLetterQuery,
  EventStreamQuery,
  EventStreamTicket,
  Page,
  ReplayQuery,
  ReplayResult,
} from "@streamspace/schemas"
import { Elysia } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import { integerQuery } from "../../http/query.ts"
import { Unauthenticated } from "../../http/errors.ts"
import * as events from "./service.ts"
import { eventStream, principalOfTicket, type StreamTickets } from "./stream.ts"
import type { OutboxTail } from "./tail.ts"

const tags = ["events"]

export const eventRoutes = (deps: CoreDeps, http: HttpPlugins, live: { tail: OutboxTail; tickets: StreamTickets }) =>
  new Elysia({ name: "events", prefix: "/api/v1/events" })
    .use(http)
    .post(
      "/stream-ticket",
      ({ user, set }) => {
        set.status = 201
        return live.tickets.issue(user.id)
      },
      {
        auth: "user",
        audit: "events.stream_ticket",
        response: { 201: EventStreamTicket },
        detail: { summary: "A single-use, 30-second ticket for opening the event stream with EventSource", tags },
      },
    )
    .get(
      "/stream",
      async ({ query, principal, request }) => {
        const viewer = query.ticket !== undefined ? await principalOfTicket(deps, live.tickets, query.ticket) : principal
        if (!viewer)
          throw new Unauthenticated("Open the stream with ?ticket= (POST /api/v1/events/stream-ticket) or a bearer token.")
        return eventStream(deps, live.tail, viewer, request.headers.get("last-event-id") ?? query.lastEventId)
      },
      {
        query: EventStreamQuery,
        detail: {
          summary:
            "Live events as Server-Sent Events: admins get all, others those about themselves and their own or shared sessions",
          tags,
        },
      },
    )
    .get("/dead-letters", ({ query }) => events.listDeadLetters(deps, query), {
      auth: "admin",
      ...integerQuery(DeadLetterQuery),
      response: { 200: Page(DeadLetter) },
      detail: { summary: "Event deliveries to plugins that ran out of attempts, newest first", tags },
    })
    .post(
      "/dead-letters/:eventId/:installId/replay",
      async ({ params, audit, set }) => {
        audit.targetId = params.installId
        audit.detail = { eventId: params.eventId }
        await events.replayDeadLetter(deps, params.eventId, params.installId)
        set.status = 202
        return { replayed: 1 }
      },
      {
        auth: "admin",
        audit: "event.replay",
        params: DeadLetterParams,
        response: { 202: ReplayResult },
        detail: { summary: "Deliver one dead letter again, with fresh attempts", tags },
      },
    )
    .post(
      "/dead-letters/replay",
      async ({ query, audit, set }) => {
        const replayed = await events.replayDeadLetters(deps, query.installId)
        audit.targetId = query.installId ?? null
        audit.detail = { replayed }
        set.status = 202
        return { replayed }
      },
      {
        auth: "admin",
        audit: "event.replay_all",
        query: ReplayQuery,
        response: { 202: ReplayResult },
        detail: { summary: "Deliver every dead letter (or one install's) again, with fresh attempts", tags },
      },
    )
