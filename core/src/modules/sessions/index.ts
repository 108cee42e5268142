// Routes: launch, list, inspect and end sessions.
import { CreateSession, IdParams, Page, Session, SessionQuery } from "@streamspace/schemas"
import { Elysia } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import { integerQuery } from "../../http/query.ts"
import * as sessions from "./service.ts"

export const sessionRoutes = (deps: CoreDeps, http: HttpPlugins) =>
  new Elysia({ name: "sessions", prefix: "/api/v1/sessions" })
    .use(http)
    // Answered as ready JSON text from the list cache: the response schema documents it (OpenAPI, SDK
    // types) and the tests check the body against it; re-checking every cached page cost most of the request.
    .get(
      "/",
      async ({ user, query }) =>
        new Response(await sessions.listSessionsJson(deps, user, query), {
          headers: { "content-type": "application/json" },
        }),
      {
        auth: "user",
        ...integerQuery(SessionQuery),
        response: { 200: Page(Session) },
        detail: { summary: "List your sessions (admins: all=true for everyone's)", tags: ["sessions"] },
      },
    )
    .post(
      "/",
      async ({ user, body, set, audit }) => {
        const created = await sessions.createSession(deps, user, body)
        audit.targetId = created.id
        set.status = 201
        return created
      },
      {
        auth: "user",
        audit: "session.create",
        body: CreateSession,
        response: { 201: Session },
        detail: { summary: "Launch a session from a catalog template", tags: ["sessions"] },
      },
    )
    .get("/:id", ({ user, params }) => sessions.getSession(deps, user, params.id), {
      auth: "user",
      params: IdParams,
      response: { 200: Session },
      detail: { summary: "Get one of your sessions", tags: ["sessions"] },
    })
    .delete(
      "/:id",
      async ({ user, params, set }) => {
        const s = await sessions.deleteSession(deps, user, params.id)
        if (!s) {
          set.status = 204
          return
        }
        set.status = 202
        return s
      },
      {
        auth: "user",
        audit: "session.delete",
        params: IdParams,
        response: { 202: Session },
        detail: {
          summary: "Stop an active session (202, state stopping/stopped) or remove a finished one from history (204)",
          tags: ["sessions"],
        },
      },
    )
    .post(
      "/:id/hibernate",
      ({ user, params, set }) => {
        set.status = 202
        return sessions.hibernateSession(deps, user, params.id)
      },
      {
        auth: "user",
        audit: "session.hibernate",
        params: IdParams,
        response: { 202: Session },
        detail: {
          summary: "Hibernate a running session: its compute is released, its workload kept (202, state hibernating)",
          tags: ["sessions"],
        },
      },
    )
    .post(
      "/:id/wake",
      ({ user, params, set }) => {
        set.status = 202
        return sessions.wakeSession(deps, user, params.id)
      },
      {
        auth: "user",
        audit: "session.wake",
        params: IdParams,
        response: { 202: Session },
        detail: {
          summary: "Wake a hibernated session (202, state waking; running once its desktop answers)",
          tags: ["sessions"],
        },
      },
    )
