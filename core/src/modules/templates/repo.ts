// SQL for catalog templates.
import type { Template, TemplateInput, TemplateQuery, UpdateTemplate } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

/** Column values for insert/update, filling the shape's documented defaults. */
const rowOf = (t: TemplateInput) => ({
  name: t.name,
  displayName: t.displayName,
  description: t.description ?? "",
  category: t.category,
  tags: t.tags ?? [],
  icon: t.icon ?? "",
  image: t.image,
  vncPort: t.vncPort ?? 5900,
  resources: t.resources,
  env: t.env ?? {},
  homePath: t.homePath ?? "/home/user",
  allowOutbound: t.allowOutbound ?? false,
  enabled: t.enabled ?? true,
})

export async function listTemplates(sql: Sql, q: TemplateQuery, includeDisabled: boolean) {
  const search = q.q ? `%${q.q.toLowerCase()}%` : null
  const where = sql`where (${includeDisabled} or enabled)
    and (${search}::text is null or lower(name) like ${search} or lower(display_name) like ${search} or lower(description) like ${search})
    and (${q.category ?? null}::text is null or category = ${q.category ?? null})
    and (${q.tag ?? null}::text is null or ${q.tag ?? null} = any(tags))`
  const items = await sql<Template[]>`select * from templates ${where}
    order by category, display_name limit ${q.limit ?? 100} offset ${q.offset ?? 0}`
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from templates ${where}`
  return { items, total: count?.n ?? 0 }
}

export const findTemplate = async (sql: Sql, id: string) =>
  (await sql<Template[]>`select * from templates where id = ${id}`)[0] ?? null

export const insertTemplate = async (sql: Sql, t: TemplateInput) => {
  const row = rowOf(t)
  return (
    await sql<
      Template[]
    >`insert into templates ${sql({ ...row, resources: sql.json(row.resources), env: sql.json(row.env) })} returning *`
  )[0] as Template
}

/** Import semantics: a template with the same name is replaced, others are added. */
export const upsertTemplate = async (sql: Sql, t: TemplateInput) => {
  const row = rowOf(t)
  const values = { ...row, resources: sql.json(row.resources), env: sql.json(row.env) }
  return (
    await sql<(Template & { inserted: boolean })[]>`insert into templates ${sql(values)}
      on conflict (name) do update set ${sql(values)}, updated_at = now()
      returning *, (xmax = 0) as inserted`
  )[0] as Template & { inserted: boolean }
}

export async function updateTemplate(sql: Sql, id: string, patch: UpdateTemplate) {
  const set: Record<string, unknown> = { ...patch }
  if (patch.resources) set.resources = sql.json(patch.resources)
  if (patch.env) set.env = sql.json(patch.env)
  return (await sql<Template[]>`update templates set ${sql(set)}, updated_at = now() where id = ${id} returning *`)[0] ?? null
}

export const deleteTemplate = async (sql: Sql, id: string) => (await sql`delete from templates where id = ${id}`).count > 0

export const countTemplates = async (sql: Sql) =>
  (await sql<{ n: number }[]>`select count(*)::int as n from templates`)[0]?.n ?? 0

export const categoriesAndTags = (sql: Sql) =>
  sql<{ categories: string[]; tags: string[] }[]>`select
    coalesce(array(select distinct category from templates where enabled order by 1), '{}') as categories,
    coalesce(array(select distinct unnest(tags) from templates where enabled order by 1), '{}') as tags`
