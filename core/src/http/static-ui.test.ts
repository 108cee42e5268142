import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Elysia } from "elysia"
import { startTestCore, type TestCore } from "../testing/test-core.ts"
import { problemResponse, toAppError } from "./problem.ts"
import { staticUi } from "./static-ui.ts"

const INDEX = "<!doctype html><title>StreamSpace</title><div id=app></div>"

/** The portal module behind the same error rendering the control plane uses, beside stand-in API routes. */
function appServing(dir: string) {
  return new Elysia()
    .onError(({ code, error }) => {
      const known = toAppError(code, error)
      return known ? problemResponse(known) : undefined
    })
    .get("/healthz", () => ({ status: "ok" }))
    .get("/api/v1/ping", () => ({ pong: true }))
    .use(staticUi({ dir }))
}

const get = (app: ReturnType<typeof appServing>, path: string, accept = "text/html") =>
  app.handle(new Request(`http://localhost${path}`, { headers: { accept } }))

let root: string
let built: ReturnType<typeof appServing>
let empty: ReturnType<typeof appServing>

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), "static-ui-test-"))
  const dist = join(root, "dist")
  mkdirSync(join(dist, "assets"), { recursive: true })
  writeFileSync(join(dist, "index.html"), INDEX)
  writeFileSync(join(dist, "assets", "index-AbC123.js"), "console.log('portal')")
  writeFileSync(join(dist, "favicon.svg"), "<svg xmlns='http://www.w3.org/2000/svg'/>")
  writeFileSync(join(root, "secret.txt"), "outside the portal")
  built = appServing(dist)
  empty = appServing(join(root, "not-built"))
})
afterAll(() => rmSync(root, { recursive: true, force: true }))

describe("the portal served by the control plane", () => {
  test("the root answers index.html, which the browser must revalidate", async () => {
    const res = await get(built, "/")
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toContain("text/html")
    expect(res.headers.get("cache-control")).toBe("no-cache")
    expect(await res.text()).toBe(INDEX)
  })

  test("a client-side route such as /admin/users falls back to index.html", async () => {
    for (const path of ["/catalog", "/admin/users", "/sessions/6b0c7f7e-3c1a-4a51-9b7e-0f5f1d3f1a11"]) {
      const res = await get(built, path)
      expect(res.status).toBe(200)
      expect(await res.text()).toBe(INDEX)
    }
  })

  test("hashed assets are cached for a year as immutable, with their own content type", async () => {
    const res = await get(built, "/assets/index-AbC123.js", "*/*")
    expect(res.status).toBe(200)
    expect(res.headers.get("content-type")).toContain("javascript")
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable")
    expect(await res.text()).toBe("console.log('portal')")
  })

  test("other files are served with a short cache", async () => {
    const res = await get(built, "/favicon.svg", "*/*")
    expect(res.status).toBe(200)
    expect(res.headers.get("cache-control")).toBe("public, max-age=3600")
  })

  test("a missing file with an extension is a 404 problem, not index.html", async () => {
    const res = await get(built, "/assets/index-Old999.js", "*/*")
    expect(res.status).toBe(404)
    expect(res.headers.get("content-type")).toContain("application/problem+json")
  })

  test("the API and the probes are never shadowed, and an unknown API route stays a 404 problem", async () => {
    expect(await (await get(built, "/api/v1/ping", "application/json")).json()).toEqual({ pong: true })
    expect(await (await get(built, "/healthz", "application/json")).json()).toEqual({ status: "ok" })
    for (const path of ["/api/v1/nothing-here", "/api", "/readyz"]) {
      const res = await get(built, path)
      expect(res.status).toBe(404)
      expect(res.headers.get("content-type")).toContain("application/problem+json")
    }
  })

  test("a path that climbs out of the portal folder is not served", async () => {
    for (const path of ["/..%2fsecret.txt", "/%2e%2e/secret.txt", "/assets/..%2f..%2fsecret.txt"]) {
      const res = await get(built, path, "*/*")
      expect(await res.text()).not.toContain("outside the portal")
    }
  })

  test("without a build, a browser gets a 503 page that says how to build the portal", async () => {
    const res = await get(empty, "/catalog")
    expect(res.status).toBe(503)
    expect(res.headers.get("content-type")).toContain("text/html")
    expect(await res.text()).toContain("bun run build:ui")
  })

  test("without a build, an API client gets a 503 problem with a stable code", async () => {
    const res = await get(empty, "/", "application/json")
    expect(res.status).toBe(503)
    expect(res.headers.get("content-type")).toContain("application/problem+json")
    const body = (await res.json()) as { code: string; detail: string }
    expect(body.code).toBe("UI_NOT_BUILT")
    expect(body.detail).toContain("bun run build:ui")
  })
})

describe("the portal inside the real control plane", () => {
  let core: TestCore
  // Opening a real database can take longer than bun's default 5 s hook timeout.
  beforeAll(async () => {
    core = await startTestCore()
  }, 60_000)
  afterAll(() => core.close())

  test("API routes, unknown API routes and probes answer as before", async () => {
    expect((await core.fetch("/healthz")).status).toBe(200)
    const anonymous = await core.fetch("/api/v1/templates", { headers: { accept: "text/html" } })
    expect(anonymous.status).toBe(401)
    const unknown = await core.fetch("/api/v1/no-such-route", { headers: { accept: "text/html" } })
    expect(unknown.status).toBe(404)
    expect(unknown.headers.get("content-type")).toContain("application/problem+json")
    const spec = await core.fetch("/api/openapi/json")
    expect(Object.keys(((await spec.json()) as { paths: object }).paths).some((p) => p.includes("*"))).toBe(false)
  })
})
