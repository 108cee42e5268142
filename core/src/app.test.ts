// The app as a whole: its OpenAPI document, problem+json for unknown routes, request ids, probes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { FormatRegistry } from "@sinclair/typebox"
import { OPENAPI_JSON_PATH } from "./app.ts"
import { startTestCore, type TestCore } from "./testing/test-core.ts"

let core: TestCore

/** Every operation of the API, as OpenAPI spells its path. */
const OPERATIONS = [
  "get /healthz",
  "get /readyz",
  "get /api/v1/me",
  "get /api/v1/users",
  "post /api/v1/users",
  "get /api/v1/users/{id}",
  "patch /api/v1/users/{id}",
  "delete /api/v1/users/{id}",
  "get /api/v1/api-keys/",
  "post /api/v1/api-keys/",
  "delete /api/v1/api-keys/{id}",
  "get /api/v1/templates/",
  "post /api/v1/templates/",
  "get /api/v1/templates/facets",
  "post /api/v1/templates/import",
  "get /api/v1/templates/{id}",
  "patch /api/v1/templates/{id}",
  "delete /api/v1/templates/{id}",
  "get /api/v1/sessions/",
  "post /api/v1/sessions/",
  "get /api/v1/sessions/{id}",
  "delete /api/v1/sessions/{id}",
  "post /api/v1/sessions/{id}/hibernate",
  "post /api/v1/sessions/{id}/wake",
  "get /api/v1/agents/",
  "post /api/v1/agents/",
  "get /api/v1/agents/{id}",
  "post /api/v1/agents/{id}/rotate-token",
  "post /api/v1/agents/{id}/revoke",
  "get /api/v1/audit/",
  "get /api/v1/audit/export",
]

type Operation = { summary?: string; requestBody?: { content: Record<string, unknown> }; "x-audit-action"?: string }
let paths: Record<string, Record<string, Operation>>

beforeAll(async () => {
  core = await startTestCore()
  const res = await core.fetch(OPENAPI_JSON_PATH)
  expect(res.status).toBe(200)
  const doc = await res.json()
  expect(doc.openapi).toStartWith("3.")
  expect(doc.info.title).toBe("StreamSpace API")
  expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" })
  paths = doc.paths
})
afterAll(() => core.close())

const operation = (op: string) => {
  const [method, path] = op.split(" ") as [string, string]
  return paths[path]?.[method]
}

describe("OpenAPI document", () => {
  test(`is served at ${OPENAPI_JSON_PATH} and lists every route with a summary`, () => {
    for (const op of OPERATIONS) expect({ op, summary: typeof operation(op)?.summary }).toEqual({ op, summary: "string" })
  })

  test("documents the body of every route that takes one", () => {
    for (const op of OPERATIONS.filter((o) => o.startsWith("post") || o.startsWith("patch"))) {
      const body = operation(op)?.requestBody
      if (/(rotate-token|revoke|hibernate|wake)$/.test(op)) expect(body).toBeUndefined()
      else expect({ op, types: Object.keys(body?.content ?? {}).length > 0 }).toEqual({ op, types: true })
    }
    expect(Object.keys(operation("post /api/v1/templates/import")?.requestBody?.content ?? {})).toEqual(["text/plain"])
  })

  test("names the audited action of every mutating route", () => {
    for (const op of OPERATIONS.filter((o) => !o.startsWith("get"))) {
      expect({ op, action: typeof operation(op)?.["x-audit-action"] }).toEqual({ op, action: "string" })
    }
    expect(operation("post /api/v1/sessions/")?.["x-audit-action"]).toBe("session.create")
  })

  test("the browsable docs are served as HTML", async () => {
    const res = await core.fetch("/api/docs")
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toContain("text/html")
  })
})

describe("format checks", () => {
  test("uuid and email stay plain checks after @elysiajs/openapi loads (its own build a zod schema per call)", () => {
    const uuid = FormatRegistry.Get("uuid") as (v: string) => boolean
    const email = FormatRegistry.Get("email") as (v: string) => boolean
    expect([uuid("6c0e3f54-7d55-4a45-9a8e-0b8a4c9d1e11"), uuid("nope"), email("ada@example.org"), email("ada")]).toEqual([
      true,
      false,
      true,
      false,
    ])
    const started = performance.now()
    for (let i = 0; i < 20_000; i++) uuid("6c0e3f54-7d55-4a45-9a8e-0b8a4c9d1e11")
    // A regex does this in about 2 ms; the zod-building check took about half a second.
    expect(performance.now() - started).toBeLessThan(150)
  })
})

describe("errors and request ids", () => {
  test("an unknown route is a 404 problem+json carrying the request id", async () => {
    const res = await core.fetch("/api/v1/no-such-thing", { headers: { "x-request-id": "lost-1" } })
    expect(res.status).toBe(404)
    expect(res.headers.get("content-type")).toBe("application/problem+json")
    expect(res.headers.get("x-request-id")).toBe("lost-1")
    expect(await res.json()).toMatchObject({ code: "NOT_FOUND", status: 404, requestId: "lost-1", title: "Not found" })
  })

  test("a body that does not parse is a 400 problem+json with a request id", async () => {
    const admin = await core.admin()
    const res = await admin.fetch("/api/v1/users", { method: "POST", headers: { "content-type": "application/json" }, body: "{" })
    expect(res.status).toBe(400)
    const problem = await res.json()
    expect(problem).toMatchObject({ code: "MALFORMED_REQUEST", type: "https://streamspace.dev/problems/malformed-request" })
    expect(problem.requestId).toBe(res.headers.get("x-request-id"))
  })

  test("every response carries a request id, probes included", async () => {
    for (const path of ["/healthz", "/readyz", OPENAPI_JSON_PATH, "/api/v1/me"])
      expect((await core.fetch(path)).headers.get("x-request-id")).toBeTruthy()
  })
})

describe("probes", () => {
  test("/healthz answers while the process lives", async () => {
    const res = await core.fetch("/healthz")
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: "ok" })
  })

  test("/readyz answers ready when the database answers and is migrated", async () => {
    const res = await core.fetch("/readyz")
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ status: "ready", database: core.db.kind })
  })

  test("/readyz answers 503 while a migration is missing, and ready again once it is back", async () => {
    const [row] = await core.db.sql`delete from schema_migrations where version = 1 returning *`
    try {
      const res = await core.fetch("/readyz")
      expect(res.status).toBe(503)
      expect(await res.json()).toMatchObject({ status: "not_ready", reason: "1 migration(s) not applied" })
    } finally {
      await core.db.sql`insert into schema_migrations ${core.db.sql(row as Record<string, unknown>)}`
    }
    expect((await core.fetch("/readyz")).status).toBe(200)
  })

  test("/readyz answers 503 when the database is gone, /healthz still 200", async () => {
    const doomed = await startTestCore()
    await doomed.close()
    const res = await doomed.fetch("/readyz")
    expect(res.status).toBe(503)
    expect((await res.json()).reason).toStartWith("database unreachable")
    expect((await doomed.fetch("/healthz")).status).toBe(200)
  })
})
