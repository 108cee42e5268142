// Routes: the catalog (users browse, admins curate and import).
import { CatalogImportResult, IdParams, Page, Template, TemplateInput, TemplateQuery, UpdateTemplate } from "@streamspace/schemas"
import { Elysia, t } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import { integerQuery } from "../../http/query.ts"
import * as templates from "./service.ts"

const MAX_CATALOG_BYTES = 5 * 1024 * 1024

export const templateRoutes = (deps: CoreDeps, http: HttpPlugins) =>
  new Elysia({ name: "templates", prefix: "/api/v1/templates" })
    .use(http)
    .get("/", ({ user, query }) => templates.listTemplates(deps, user, query), {
      auth: "user",
      ...integerQuery(TemplateQuery),
      response: { 200: Page(Template) },
      detail: { summary: "Browse the catalog: search, filter by category or tag", tags: ["templates"] },
    })
    .get("/facets", () => templates.catalogFacets(deps), {
      auth: "user",
      response: { 200: t.Object({ categories: t.Array(t.String()), tags: t.Array(t.String()) }) },
      detail: { summary: "Categories and tags in use, for catalog filters", tags: ["templates"] },
    })
    .get("/:id", ({ user, params }) => templates.getTemplate(deps, user, params.id), {
      auth: "user",
      params: IdParams,
      response: { 200: Template },
      detail: { summary: "Get a template", tags: ["templates"] },
    })
    .post(
      "/",
      async ({ body, set, audit }) => {
        const created = await templates.createTemplate(deps, body)
        audit.targetId = created.id
        set.status = 201
        return created
      },
      {
        auth: "admin",
        audit: "template.create",
        body: TemplateInput,
        response: { 201: Template },
        detail: { summary: "Add a template to the catalog", tags: ["templates"] },
      },
    )
    .post(
      "/import",
      async ({ body, audit }) => {
        const result = await templates.importCatalog(deps, body)
        audit.detail = { created: result.created, updated: result.updated }
        return result
      },
      {
        auth: "admin",
        audit: "template.import",
        parse: "text",
        body: t.String({ maxLength: MAX_CATALOG_BYTES, description: "A catalog file, YAML or JSON: { templates: [...] }" }),
        response: { 200: CatalogImportResult },
        detail: { summary: "Import many templates from a catalog file (same name → replaced)", tags: ["templates"] },
      },
    )
    .patch("/:id", ({ params, body }) => templates.updateTemplate(deps, params.id, body), {
      auth: "admin",
      audit: "template.update",
      params: IdParams,
      body: UpdateTemplate,
      response: { 200: Template },
      detail: { summary: "Change a template", tags: ["templates"] },
    })
    .delete(
      "/:id",
      async ({ params, set }) => {
        await templates.deleteTemplate(deps, params.id)
        set.status = 204
      },
      {
        auth: "admin",
        audit: "template.delete",
        params: IdParams,
        detail: { summary: "Delete a template no active session uses", tags: ["templates"] },
      },
    )
