// Routes: the admin's dead-letter list and replay.
import { DeadLetter, DeadLetterParams, DeadLetterQuery, Page, ReplayQuery, ReplayResult } from "@streamspace/schemas"
import { Elysia } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import { integerQuery } from "../../http/query.ts"
import * as events from "./service.ts"

const tags = ["events"]

export const eventRoutes = (deps: CoreDeps, http: HttpPlugins) =>
  new Elysia({ name: "events", prefix: "/api/v1/events" })
    .use(http)
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
