// Routes: user administration (admin) and the caller's own profile.
import { CreateUser, IdParams, Page, UpdateUser, User, UserQuery } from "@streamspace/schemas"
import { Elysia } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import { integerQuery } from "../../http/query.ts"
import * as users from "./service.ts"

export const userRoutes = (deps: CoreDeps, http: HttpPlugins) =>
  new Elysia({ name: "users", prefix: "/api/v1" })
    .use(http)
    .get("/me", ({ user }) => users.getUser(deps, user.id), {
      auth: "user",
      response: { 200: User },
      detail: { summary: "The signed-in user", tags: ["users"] },
    })
    .get("/users", ({ query }) => users.listUsers(deps, query), {
      auth: "admin",
      ...integerQuery(UserQuery),
      response: { 200: Page(User) },
      detail: { summary: "List and search users", tags: ["users"] },
    })
    .post(
      "/users",
      async ({ body, set, audit }) => {
        const created = await users.createUser(deps, body)
        audit.targetId = created.id
        set.status = 201
        return created
      },
      {
        auth: "admin",
        audit: "user.create",
        body: CreateUser,
        response: { 201: User },
        detail: { summary: "Create a user", tags: ["users"] },
      },
    )
    .get("/users/:id", ({ params }) => users.getUser(deps, params.id), {
      auth: "admin",
      params: IdParams,
      response: { 200: User },
      detail: { summary: "Get a user", tags: ["users"] },
    })
    .patch("/users/:id", ({ params, body }) => users.updateUser(deps, params.id, body), {
      auth: "admin",
      audit: "user.update",
      params: IdParams,
      body: UpdateUser,
      response: { 200: User },
      detail: { summary: "Change a user's role, profile or disabled flag", tags: ["users"] },
    })
    .delete(
      "/users/:id",
      async ({ params, user, set }) => {
        await users.deleteUser(deps, user, params.id)
        set.status = 204
      },
      {
        auth: "admin",
        audit: "user.delete",
        params: IdParams,
        detail: { summary: "Delete a user with no active sessions", tags: ["users"] },
      },
    )
