// Routes: the caller's API keys (admins may see and revoke anyone's).
import { ApiKey, CreateApiKey, CreatedApiKey, IdParams } from "@streamspace/schemas"
import { Elysia, t } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import * as keys from "./service.ts"

export const apiKeyRoutes = (deps: CoreDeps, http: HttpPlugins) =>
  new Elysia({ name: "api-keys", prefix: "/api/v1/api-keys" })
    .use(http)
    .get("/", ({ user, query }) => keys.listApiKeys(deps, user, query.all === true), {
      auth: "user",
      query: t.Object({ all: t.Optional(t.Boolean({ description: "Admins: every user's keys" })) }),
      response: { 200: t.Array(ApiKey) },
      detail: { summary: "List API keys", tags: ["api-keys"] },
    })
    .post(
      "/",
      async ({ user, body, set, audit }) => {
        const created = await keys.createApiKey(deps, user, body)
        audit.targetId = created.id
        set.status = 201
        return created
      },
      {
        auth: "user",
        audit: "api_key.create",
        body: CreateApiKey,
        response: { 201: CreatedApiKey },
        detail: { summary: "Create an API key; the secret is shown only in this response", tags: ["api-keys"] },
      },
    )
    .delete("/:id", ({ user, params }) => keys.revokeApiKey(deps, user, params.id), {
      auth: "user",
      audit: "api_key.revoke",
      params: IdParams,
      response: { 200: ApiKey },
      detail: { summary: "Revoke an API key", tags: ["api-keys"] },
    })
