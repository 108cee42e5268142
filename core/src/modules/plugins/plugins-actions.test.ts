import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { PluginActionDeclaration, PluginInstall, PluginManifest, Problem } from "@streamspace/schemas"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { upload } from "./test-fixtures.ts"

// A plugin whose actions report what they were given, refuse on request, or loop.
const ACTIONS_BUNDLE = `
export default { hooks: { "plugin.action": async ({ action, input, actor }) => {
  if (action === "echo" || action === "log") return { ok: true, result: { action, input, actor: actor.username } }
  if (action === "refuse") return { ok: false, status: 409, code: "ALREADY_DONE", message: "It is done already.", field: "/what" }
  if (action === "loop") for (;;) {}
  return { ok: true, result: null }
} } }
`
const ECHO_INPUT = {
  type: "object" as const,
  properties: { n: { type: "integer", minimum: 1 }, label: { type: "string", default: "none" } },
  required: ["n"],
  additionalProperties: false,
}
const manifest: PluginManifest = {
  id: "test.actions",
  version: "1.0.0",
  hostApi: "^1.0.0",
  hooks: [{ name: "plugin.action", failMode: "closed" }],
  events: [],
  actions: [
    {
      name: "echo",
      description: "Answers with its input",
      input: ECHO_INPUT,
    },
    { name: "log", description: "Reads something", readOnly: true },
    { name: "refuse", description: "Always refuses" },
    { name: "loop", description: "Never answers" },
  ],
  permissions: {},
  limits: { memoryMb: 16, hookTimeoutMs: 300 },
  configSchema: { type: "object" },
}

let core: TestCore
let admin: TestUser
let installId: string

const call = (user: TestUser, method: string, path: string, body?: unknown) =>
  user.fetch(`/api/v1/plugins/${installId}${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

beforeAll(async () => {
  core = await startTestCore({ plugins: true })
  admin = await core.admin()
  const res = await admin.fetch("/api/v1/plugins", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ ...upload(manifest, ACTIONS_BUNDLE), grant: {}, enabled: true }),
  })
  expect(res.status).toBe(201)
  installId = ((await res.json()) as PluginInstall).id
})
afterAll(() => core.close())

describe("plugin admin actions", () => {
  test("an admin lists the actions the manifest declares", async () => {
    const res = await call(admin, "GET", "/actions")
    expect(res.status).toBe(200)
    const actions = (await res.json()) as PluginActionDeclaration[]
    expect(actions.map((a) => [a.name, a.readOnly ?? false])).toEqual([
      ["echo", false],
      ["log", true],
      ["refuse", false],
      ["loop", false],
    ])
  })

  test("POST runs an action with checked input (defaults filled) and answers the plugin's result", async () => {
    const res = await call(admin, "POST", "/actions/echo", { n: 3 })
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ action: "echo", input: { n: 3, label: "none" }, actor: admin.user.username })
    await core.auditSettled()
    const [row] = await core.db.sql<{ action: string; detail: { action: string } }[]>`
      select action, detail from audit_events where action = 'plugin.action' order by at desc limit 1`
    expect(row).toMatchObject({ action: "plugin.action", detail: { action: "echo" } })
  })

  test("input that breaks the action's schema is a 422 naming the field, before the plugin is asked", async () => {
    const res = await call(admin, "POST", "/actions/echo", { n: 0, extra: true })
    expect(res.status).toBe(422)
    const problem = (await res.json()) as Problem
    expect(problem.code).toBe("VALIDATION_FAILED")
    expect(problem.errors?.map((e) => e.field).sort()).toEqual(["/extra", "/n"])
  })

  test("a read-only action also answers GET with the query as input; others do not", async () => {
    const res = await call(admin, "GET", "/actions/log?endpoint=a&limit=5")
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ action: "log", input: { endpoint: "a", limit: "5" } })
    const refused = await call(admin, "GET", "/actions/echo?n=1")
    expect(refused.status).toBe(404)
    expect(((await refused.json()) as Problem).code).toBe("PLUGIN_ACTION_NOT_FOUND")
  })

  test("an undeclared action is a 404 and never reaches the plugin", async () => {
    const res = await call(admin, "POST", "/actions/nope", {})
    expect(res.status).toBe(404)
    expect(((await res.json()) as Problem).code).toBe("PLUGIN_ACTION_NOT_FOUND")
    expect((await call(admin, "POST", "/actions/Bad Name", {})).status).toBe(422)
  })

  test("a plugin's refusal keeps its status, code and field", async () => {
    const res = await call(admin, "POST", "/actions/refuse")
    expect(res.status).toBe(409)
    const problem = (await res.json()) as Problem
    expect(problem).toMatchObject({ code: "ALREADY_DONE", detail: "It is done already." })
    expect(problem.errors).toEqual([{ field: "/what", message: "It is done already." }])
  })

  test("only admins may list or run actions", async () => {
    const [user] = await core.users("plain-user")
    const operator = await core.user("an-operator", "operator")
    for (const who of [user as TestUser, operator]) {
      expect((await call(who, "GET", "/actions")).status).toBe(403)
      expect((await call(who, "POST", "/actions/echo", { n: 1 })).status).toBe(403)
      expect((await call(who, "GET", "/actions/log")).status).toBe(403)
    }
    const anonymous = await core.fetch(`/api/v1/plugins/${installId}/actions/log`)
    expect(anonymous.status).toBe(401)
  })

  test("an unknown install is a 404; a plugin that does not answer in time is a 503", async () => {
    const missing = await admin.fetch("/api/v1/plugins/00000000-0000-4000-8000-000000000000/actions")
    expect(missing.status).toBe(404)
    const res = await call(admin, "POST", "/actions/loop")
    expect(res.status).toBe(503)
    expect(((await res.json()) as Problem).code).toBe("PLUGIN_UNAVAILABLE")
  })
})
