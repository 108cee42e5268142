// Who may call what: every route against every role, and every kind of bad credential.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createHmac } from "node:crypto"
import type { Role } from "@streamspace/schemas"
import { startTestCore, TEST_SIGNING_KEY, type TestCore, type TestUser } from "../testing/test-core.ts"

let core: TestCore
const callers = {} as Record<Role, TestUser>
const ID = "00000000-0000-4000-8000-000000000000"

/** Every route of the API with the least role it needs. Bodies are `{}`: refusals must come before validation. */
const ROUTES: [method: string, path: string, least: Role][] = [
  ["GET", "/api/v1/me", "user"],
  ["GET", "/api/v1/users", "admin"],
  ["POST", "/api/v1/users", "admin"],
  ["GET", `/api/v1/users/${ID}`, "admin"],
  ["PATCH", `/api/v1/users/${ID}`, "admin"],
  ["DELETE", `/api/v1/users/${ID}`, "admin"],
  ["GET", "/api/v1/api-keys", "user"],
  ["POST", "/api/v1/api-keys", "user"],
  ["DELETE", `/api/v1/api-keys/${ID}`, "user"],
  ["GET", "/api/v1/templates", "user"],
  ["GET", "/api/v1/templates/facets", "user"],
  ["GET", `/api/v1/templates/${ID}`, "user"],
  ["POST", "/api/v1/templates", "admin"],
  ["POST", "/api/v1/templates/import", "admin"],
  ["PATCH", `/api/v1/templates/${ID}`, "admin"],
  ["DELETE", `/api/v1/templates/${ID}`, "admin"],
  ["GET", "/api/v1/sessions", "user"],
  ["POST", "/api/v1/sessions", "user"],
  ["GET", `/api/v1/sessions/${ID}`, "user"],
  ["DELETE", `/api/v1/sessions/${ID}`, "user"],
  ["POST", `/api/v1/sessions/${ID}/hibernate`, "user"],
  ["POST", `/api/v1/sessions/${ID}/wake`, "user"],
  ["POST", `/api/v1/sessions/${ID}/connect`, "user"],
  ["GET", `/api/v1/sessions/${ID}/shares`, "user"],
  ["POST", `/api/v1/sessions/${ID}/shares`, "user"],
  ["DELETE", `/api/v1/sessions/${ID}/shares/${ID}`, "user"],
  ["GET", "/api/v1/shares", "user"],
  ["GET", "/api/v1/agents", "operator"],
  ["POST", "/api/v1/agents", "admin"],
  ["GET", `/api/v1/agents/${ID}`, "operator"],
  ["POST", `/api/v1/agents/${ID}/rotate-token`, "admin"],
  ["POST", `/api/v1/agents/${ID}/revoke`, "admin"],
  ["GET", "/api/v1/audit", "admin"],
  ["GET", "/api/v1/audit/export", "admin"],
]
const RANK: Record<Role, number> = { user: 1, operator: 2, admin: 3 }

const call = (method: string, path: string, authorization?: string) =>
  core.fetch(path, {
    method,
    headers: { "content-type": "application/json", ...(authorization ? { authorization } : {}) },
    ...(method === "POST" || method === "PATCH" ? { body: "{}" } : {}),
  })

const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url")
/** A JWT signed by hand, so a test can set claims the token service never would (a past expiry). */
const forgeJwt = (claims: Record<string, unknown>, key = TEST_SIGNING_KEY, alg = "HS256") => {
  const head = `${b64({ alg, typ: "JWT" })}.${b64(claims)}`
  return `${head}.${createHmac("sha256", key).update(head).digest("base64url")}`
}

beforeAll(async () => {
  core = await startTestCore()
  for (const role of ["user", "operator", "admin"] as const) callers[role] = await core.user(`matrix-${role}`, role)
})
afterAll(() => core.close())

describe("role checks", () => {
  test("every route refuses anonymous callers with 401 problem+json", async () => {
    for (const [method, path] of ROUTES) {
      const res = await call(method, path)
      expect({ method, path, status: res.status }).toEqual({ method, path, status: 401 })
      expect(res.headers.get("content-type")).toContain("application/problem+json")
      expect((await res.json()).code).toBe("UNAUTHENTICATED")
    }
  })

  test("every route refuses roles below its least role with 403, and lets the others through", async () => {
    for (const [method, path, least] of ROUTES) {
      for (const role of ["user", "operator", "admin"] as const) {
        const res = await call(method, path, `Bearer ${callers[role].token}`)
        const allowed = RANK[role] >= RANK[least]
        if (allowed)
          expect({ method, path, role, refused: [401, 403].includes(res.status) }).toEqual({ method, path, role, refused: false })
        else {
          expect({ method, path, role, status: res.status }).toEqual({ method, path, role, status: 403 })
          expect((await res.json()).code).toBe("FORBIDDEN")
        }
      }
    }
  })
})

describe("bad credentials", () => {
  const now = () => Math.floor(Date.now() / 1000)
  const claimsOf = (u: TestUser) => ({ sub: u.user.id, role: u.user.role, name: u.user.username, iss: "streamspace" })

  test("a hand-made token with the right key is accepted (the forging helper is sound)", async () => {
    const token = forgeJwt({ ...claimsOf(callers.user), iat: now(), exp: now() + 60 })
    expect((await call("GET", "/api/v1/me", `Bearer ${token}`)).status).toBe(200)
  })

  test("expired, wrongly signed, unsigned and malformed tokens are refused with 401", async () => {
    const base = claimsOf(callers.admin)
    const bad = {
      expired: forgeJwt({ ...base, iat: now() - 120, exp: now() - 60 }),
      "signed with another key": forgeJwt({ ...base, iat: now(), exp: now() + 60 }, "another-key-another-key-another-key!"),
      "alg none": `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...base, exp: now() + 60 })}.`,
      "not a JWT": "garbage",
      "unknown subject": forgeJwt({ ...base, sub: crypto.randomUUID(), iat: now(), exp: now() + 60 }),
    }
    for (const [what, token] of Object.entries(bad)) {
      const res = await call("GET", "/api/v1/me", `Bearer ${token}`)
      expect({ what, status: res.status }).toEqual({ what, status: 401 })
    }
  })

  test("an Authorization header that is not Bearer is refused, saying what is expected", async () => {
    const res = await call("GET", "/api/v1/me", "Basic dXNlcjpwYXNz")
    expect(res.status).toBe(401)
    expect((await res.json()).detail).toContain("Bearer")
  })

  test("the role in a token's claims does not count; the user's current role does", async () => {
    const token = forgeJwt({ ...claimsOf(callers.user), role: "admin", iat: now(), exp: now() + 60 })
    expect((await call("GET", "/api/v1/users", `Bearer ${token}`)).status).toBe(403)
  })

  test("a revoked, an expired and a disabled user's API key are refused on every kind of route", async () => {
    const owner = await core.user("matrix-key-owner", "admin")
    const make = async (name: string) => (await owner.api["api-keys"].post({ name, expiresInDays: 1 })).data?.secret as string
    const [revoked, expired, live] = [await make("revoked"), await make("expired"), await make("live")]
    const { data: keys } = await owner.api["api-keys"].get({ query: {} })
    const idOf = (n: string) => keys?.find((k) => k.name === n)?.id as string
    await owner.fetch(`/api/v1/api-keys/${idOf("revoked")}`, { method: "DELETE" })
    await core.db.sql`update api_keys set expires_at = now() - interval '1 minute' where id = ${idOf("expired")}`
    for (const [method, path] of ROUTES) {
      for (const [what, secret] of Object.entries({ revoked, expired })) {
        const res = await call(method, path, `Bearer ${secret}`)
        expect({ what, method, path, status: res.status }).toEqual({ what, method, path, status: 401 })
      }
    }
    expect((await call("GET", "/api/v1/users", `Bearer ${live}`)).status).toBe(200)
    const admin = await core.admin()
    await admin.api.users({ id: owner.user.id }).patch({ disabled: true })
    expect((await call("GET", "/api/v1/me", `Bearer ${live}`)).status).toBe(401)
    expect((await call("GET", "/api/v1/me", `Bearer ${owner.token}`)).status).toBe(401)
  })

  test("a bad credential on a public route is ignored there", async () => {
    expect((await core.fetch("/healthz", { headers: { authorization: "Bearer garbage" } })).status).toBe(200)
  })
})
