// The catalog through the real app: admin CRUD, browsing with search and filters, facets, file import.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { seedDefaultCatalog } from "./service.ts"

let core: TestCore
let admin: TestUser
let user: TestUser

const app = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  displayName: name.toUpperCase(),
  category: "Tests",
  image: "streamspace/desktop:latest",
  resources: { cpu: 1, memory: 512 },
  ...extra,
})

const importFile = (who: TestUser, text: string, contentType = "application/yaml") =>
  who.fetch("/api/v1/templates/import", { method: "POST", headers: { "content-type": contentType }, body: text })

const names = async (who: TestUser, query: string) => {
  const res = await who.fetch(`/api/v1/templates?${query}`)
  expect(res.status).toBe(200)
  return ((await res.json()).items as { name: string }[]).map((t) => t.name)
}

beforeAll(async () => {
  core = await startTestCore()
  admin = await core.admin()
  user = await core.user("catalog-user")
})
afterAll(() => core.close())

describe("catalog templates", () => {
  test("an admin creates a template; the documented defaults are filled in", async () => {
    const { data, status } = await admin.api.templates.post(app("firefox"))
    expect(status).toBe(201)
    expect(data).toMatchObject({
      name: "firefox",
      description: "",
      tags: [],
      icon: "",
      vncPort: 5900,
      env: {},
      homePath: "/home/user",
      allowOutbound: false,
      enabled: true,
      resources: { cpu: 1, memory: 512 },
    })
    const got = await user.api.templates({ id: data?.id as string }).get()
    expect(got.data?.name).toBe("firefox")
  })

  test("an admin updates and deletes a template", async () => {
    const { data: t } = await admin.api.templates.post(app("to-change"))
    const id = t?.id as string
    const patched = await admin.api
      .templates({ id })
      .patch({ displayName: "Changed", tags: ["new"], resources: { cpu: 2, memory: 1024 } })
    expect(patched.status).toBe(200)
    expect(patched.data).toMatchObject({ displayName: "Changed", tags: ["new"], resources: { cpu: 2, memory: 1024 } })
    expect(Date.parse(patched.data?.updatedAt as string)).toBeGreaterThanOrEqual(Date.parse(t?.updatedAt as string))
    expect((await admin.fetch(`/api/v1/templates/${id}`, { method: "DELETE" })).status).toBe(204)
    expect((await admin.api.templates({ id }).get()).status).toBe(404)
    expect((await admin.fetch(`/api/v1/templates/${id}`, { method: "DELETE" })).status).toBe(404)
  })

  test("a template's name is unique", async () => {
    await admin.api.templates.post(app("unique-one"))
    const res = await admin.fetch("/api/v1/templates", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(app("unique-one")),
    })
    expect(res.status).toBe(409)
    expect((await res.json()).code).toBe("TEMPLATE_NAME_TAKEN")
  })

  test("a template in use by an active session cannot be deleted", async () => {
    const { data: t } = await admin.api.templates.post(app("in-use"))
    const { data: s } = await user.api.sessions.post({ templateId: t?.id as string })
    const refused = await admin.fetch(`/api/v1/templates/${t?.id}`, { method: "DELETE" })
    expect(refused.status).toBe(409)
    expect((await refused.json()).code).toBe("TEMPLATE_IN_USE")
    await user.fetch(`/api/v1/sessions/${s?.id}`, { method: "DELETE" })
    expect((await admin.fetch(`/api/v1/templates/${t?.id}`, { method: "DELETE" })).status).toBe(204)
    // The ended session keeps its history, without the template.
    const { data: kept } = await user.api.sessions({ id: s?.id as string }).get()
    expect(kept?.templateId).toBeNull()
    expect(kept?.templateName).toBe("in-use")
  })

  test("users search by text and filter by category and tag", async () => {
    await admin.api.templates.post(app("gimp", { category: "Graphics", tags: ["image", "paint"], description: "Raster editor" }))
    await admin.api.templates.post(app("inkscape", { category: "Graphics", tags: ["vector"] }))
    await admin.api.templates.post(app("vscode", { category: "Development", tags: ["editor", "code"] }))
    expect(await names(user, "category=Graphics")).toEqual(["gimp", "inkscape"])
    expect(await names(user, "tag=editor")).toEqual(["vscode"])
    expect(await names(user, "q=raster")).toEqual(["gimp"])
    expect(await names(user, "q=INK")).toEqual(["inkscape"])
    expect(await names(user, "category=Graphics&tag=vector")).toEqual(["inkscape"])
    expect(await names(user, "category=Nothing")).toEqual([])
    const page = await user.fetch("/api/v1/templates?category=Graphics&limit=1&offset=1")
    const body = await page.json()
    expect(body.items.map((t: { name: string }) => t.name)).toEqual(["inkscape"])
    expect(body.total).toBe(2)
  })

  test("a disabled template is hidden from users (404) but visible to admins", async () => {
    const { data: t } = await admin.api.templates.post(
      app("hidden-app", { category: "Hidden", tags: ["secret-tag"], enabled: false }),
    )
    expect(await names(user, "category=Hidden")).toEqual([])
    expect(await names(admin, "category=Hidden")).toEqual(["hidden-app"])
    expect((await user.api.templates({ id: t?.id as string }).get()).status).toBe(404)
    expect((await user.api.sessions.post({ templateId: t?.id as string })).status).toBe(404)
    const { data: facets } = await user.api.templates.facets.get()
    expect(facets?.categories).not.toContain("Hidden")
    expect(facets?.tags).not.toContain("secret-tag")
  })

  test("facets list the categories and tags in use, sorted and without repeats", async () => {
    await admin.api.templates.post(app("facet-a", { category: "Office", tags: ["docs", "writer"] }))
    await admin.api.templates.post(app("facet-b", { category: "Office", tags: ["docs", "sheets"] }))
    const { data } = await user.api.templates.facets.get()
    expect(data?.categories).toContain("Office")
    expect(data?.categories).toEqual([...new Set(data?.categories)].sort())
    expect(data?.tags).toEqual(expect.arrayContaining(["docs", "sheets", "writer"]))
    expect(data?.tags.filter((t) => t === "docs")).toHaveLength(1)
  })

  test("invalid templates name the field", async () => {
    const cases: [Record<string, unknown>, string][] = [
      [app("Bad Name"), "/name"],
      [app("no-port", { vncPort: 70000 }), "/vncPort"],
      [app("no-cpu", { resources: { cpu: 0, memory: 512 } }), "/resources/cpu"],
      [app("no-mem", { resources: { cpu: 1 } }), "/resources/memory"],
      [app("bad-env", { env: { "1BAD": "x" } }), "/env"],
      [app("bad-home", { homePath: "relative" }), "/homePath"],
      [{ name: "missing" }, "/displayName"],
    ]
    for (const [body, field] of cases) {
      const res = await admin.fetch("/api/v1/templates", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      })
      expect(res.status).toBe(422)
      const fields = (await res.json()).errors.map((e: { field: string }) => e.field)
      expect(fields.some((f: string) => f.startsWith(field))).toBe(true)
    }
  })

  test("text the database cannot store (U+0000) is a 422 naming the field, not a 500", async () => {
    const res = await admin.fetch("/api/v1/templates", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(app("nul-app", { description: "a\u0000b" })),
    })
    expect(res.status).toBe(422)
    expect((await res.json()).errors).toEqual([{ field: "/description", message: "must not contain the NUL character (U+0000)" }])
    const search = await user.fetch("/api/v1/templates?q=a%00b")
    expect(search.status).toBe(422)
    expect((await search.json()).errors[0].field).toBe("query:/q")
  })
})

describe("catalog import", () => {
  const yamlCatalog = `templates:
  - name: imp-term
    displayName: Imported terminal
    category: Imported
    tags: [shell]
    image: streamspace/desktop:latest
    resources: { cpu: 0.5, memory: 256 }
    env: { STREAMSPACE_APP: xterm }
  - name: imp-desk
    displayName: Imported desktop
    category: Imported
    image: streamspace/desktop:latest
    resources: { cpu: 1, memory: 1024 }
`

  test("an admin imports a YAML catalog; importing it again updates in place", async () => {
    const first = await importFile(admin, yamlCatalog)
    expect(first.status).toBe(200)
    expect(await first.json()).toEqual({ created: 2, updated: 0, names: ["imp-term", "imp-desk"] })
    expect(await names(user, "category=Imported")).toEqual(["imp-desk", "imp-term"])
    const again = await importFile(admin, yamlCatalog.replace("Imported terminal", "Terminal v2"))
    expect(await again.json()).toEqual({ created: 0, updated: 2, names: ["imp-term", "imp-desk"] })
    const { data } = await user.api.templates.get({ query: { q: "v2" } })
    expect(data?.items.map((t) => [t.name, t.env])).toEqual([["imp-term", { STREAMSPACE_APP: "xterm" }]])
  })

  test("an admin imports a JSON catalog", async () => {
    const json = JSON.stringify({ templates: [app("json-one", { category: "Json" }), app("json-two", { category: "Json" })] })
    const res = await importFile(admin, json, "application/json")
    expect(res.status).toBe(200)
    expect((await res.json()).created).toBe(2)
    expect(await names(user, "category=Json")).toEqual(["json-one", "json-two"])
  })

  test("a bad file names the failing field, and nothing of it lands", async () => {
    const bad = JSON.stringify({
      templates: [app("atomic-ok", { category: "Atomic" }), app("atomic-bad", { category: "Atomic", vncPort: "5900x" })],
    })
    const res = await importFile(admin, bad, "application/json")
    expect(res.status).toBe(422)
    const problem = await res.json()
    expect(problem.code).toBe("VALIDATION_FAILED")
    expect(problem.errors.map((e: { field: string }) => e.field)).toContain("/templates/1/vncPort")
    expect(await names(admin, "category=Atomic")).toEqual([])
  })

  test("a repeated name in one file is refused, naming both entries", async () => {
    const dup = JSON.stringify({ templates: [app("dup-a"), app("dup-b"), app("dup-a")] })
    const res = await importFile(admin, dup, "application/json")
    expect(res.status).toBe(422)
    expect((await res.json()).errors).toEqual([{ field: "/templates/2/name", message: "repeats the name of /templates/0" }])
    expect(await names(admin, "q=dup-")).toEqual([])
  })

  test("a file that is neither YAML nor JSON is a 400; an empty list a 422", async () => {
    const garbage = await importFile(admin, "templates: [unclosed")
    expect(garbage.status).toBe(400)
    expect((await garbage.json()).code).toBe("MALFORMED_REQUEST")
    const empty = await importFile(admin, "templates: []")
    expect(empty.status).toBe(422)
    expect((await empty.json()).errors[0].field).toBe("/templates")
    const notCatalog = await importFile(admin, "just a string")
    expect(notCatalog.status).toBe(422)
  })

  test("a failure inside the database rolls the whole import back", async () => {
    // A trigger that refuses one name stands in for any database error in the middle of an import.
    await core.db.sql.unsafe(`
      create function refuse_boom() returns trigger language plpgsql as $$
      begin if new.name = 'rollback-boom' then raise exception 'refused by test trigger'; end if; return new; end $$;
      create trigger refuse_boom before insert on templates for each row execute function refuse_boom();`)
    try {
      const file = JSON.stringify({
        templates: [app("rollback-first", { category: "Rollback" }), app("rollback-boom", { category: "Rollback" })],
      })
      const res = await importFile(admin, file, "application/json")
      expect(res.status).toBe(500)
      expect(await names(admin, "category=Rollback")).toEqual([])
    } finally {
      await core.db.sql.unsafe("drop trigger refuse_boom on templates; drop function refuse_boom();")
    }
  })

  test("only admins import", async () => {
    const res = await importFile(user, yamlCatalog)
    expect(res.status).toBe(403)
  })

  test("the default catalog is installed once, on an empty catalog, and every entry is launchable", async () => {
    const fresh = await startTestCore()
    try {
      expect(await seedDefaultCatalog(fresh.deps)).toBe(true)
      expect(await seedDefaultCatalog(fresh.deps)).toBe(false)
      const someone = await fresh.user("default-cat")
      const { data } = await someone.api.templates.get({ query: {} })
      expect(data?.items.map((t) => t.name)).toEqual(expect.arrayContaining(["desktop", "terminal"]))
      for (const t of data?.items ?? []) expect((await someone.api.sessions.post({ templateId: t.id })).status).toBe(201)
    } finally {
      await fresh.close()
    }
  })
})
