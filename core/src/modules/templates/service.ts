// The catalog: admins curate templates; users browse the enabled ones.
import type { CatalogImportResult, Template, TemplateInput, TemplateQuery, UpdateTemplate } from "@streamspace/schemas"
import defaultCatalog from "../../../catalog/default-catalog.yaml" with { type: "text" }
import type { CoreDeps } from "../../deps.ts"
import { Conflict, NotFound, ValidationFailed } from "../../http/errors.ts"
import { hasRole, type Principal } from "../identity/principal.ts"
import { countActiveSessionsOfTemplate } from "../sessions/service.ts"
import { parseCatalog } from "./catalog-file.ts"
import * as repo from "./repo.ts"

export const listTemplates = (deps: CoreDeps, viewer: Principal, q: TemplateQuery) =>
  repo.listTemplates(deps.sql, q, hasRole(viewer, "admin"))

export const catalogFacets = async (deps: CoreDeps) => (await repo.categoriesAndTags(deps.sql))[0] ?? { categories: [], tags: [] }

/** Users see enabled templates only; a disabled one answers 404 to them. */
export async function getTemplate(deps: CoreDeps, viewer: Principal | null, id: string): Promise<Template> {
  const t = await repo.findTemplate(deps.sql, id)
  if (!t || (!t.enabled && !(viewer && hasRole(viewer, "admin")))) throw new NotFound("That template")
  return t
}

export async function createTemplate(deps: CoreDeps, input: TemplateInput): Promise<Template> {
  try {
    return await repo.insertTemplate(deps.sql, input)
  } catch (e) {
    if ((e as { code?: string }).code === "23505")
      throw new Conflict(`A template named ${input.name} exists. Choose another name or update it.`, "TEMPLATE_NAME_TAKEN")
    throw e
  }
}

export async function updateTemplate(deps: CoreDeps, id: string, patch: UpdateTemplate): Promise<Template> {
  const t = await repo.updateTemplate(deps.sql, id, patch)
  if (!t) throw new NotFound("That template")
  return t
}

export async function deleteTemplate(deps: CoreDeps, id: string): Promise<void> {
  const active = await countActiveSessionsOfTemplate(deps, id)
  if (active > 0)
    throw new Conflict(
      `${active} active session(s) use this template. Disable it instead, or stop them first.`,
      "TEMPLATE_IN_USE",
    )
  if (!(await repo.deleteTemplate(deps.sql, id))) throw new NotFound("That template")
}

/** Imports a whole catalog file atomically: every template lands, or none does. */
export async function importCatalog(deps: CoreDeps, text: string): Promise<CatalogImportResult> {
  const file = parseCatalog(text)
  const seen = new Map<string, number>()
  file.templates.forEach((t, i) => {
    const earlier = seen.get(t.name)
    if (earlier !== undefined)
      throw new ValidationFailed([{ field: `/templates/${i}/name`, message: `repeats the name of /templates/${earlier}` }])
    seen.set(t.name, i)
  })
  return deps.sql.begin(async (tx) => {
    const result: CatalogImportResult = { created: 0, updated: 0, names: [] }
    for (const t of file.templates) {
      const row = await repo.upsertTemplate(tx, t)
      if (row.inserted) result.created++
      else result.updated++
      result.names.push(t.name)
    }
    return result
  })
}

/** A fresh installation starts with the shipped catalog rather than an empty page. */
export async function seedDefaultCatalog(deps: CoreDeps): Promise<boolean> {
  if ((await repo.countTemplates(deps.sql)) > 0) return false
  await importCatalog(deps, defaultCatalog)
  return true
}

/** For running a session already created: the template whatever its enabled flag, or null. */
export const findTemplateForSession = (deps: CoreDeps, id: string) => repo.findTemplate(deps.sql, id)
