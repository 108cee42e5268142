// User administration and /me through the real app: CRUD, roles, the last-admin guard, validation.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"

let core: TestCore
let admin: TestUser

const json = (method: string, body: unknown): RequestInit => ({
  method,
  headers: { "content-type": "application/json" },
  body: JSON.stringify(body),
})

beforeAll(async () => {
  core = await startTestCore()
  admin = await core.admin()
})
afterAll(() => core.close())

describe("users", () => {
  test("GET /me answers the signed-in user, for every role", async () => {
    for (const role of ["user", "operator", "admin"] as const) {
      const someone = await core.user(`me-${role}`, role)
      const { data, status } = await someone.api.me.get()
      expect(status).toBe(200)
      expect(data?.id).toBe(someone.user.id)
      expect(data?.role).toBe(role)
    }
  })

  test("an admin creates, reads, updates, lists and deletes a user", async () => {
    const created = await admin.api.users.post({ username: "crud-user", email: "crud@example.com", displayName: "Crud" })
    expect(created.status).toBe(201)
    expect(created.data).toMatchObject({ username: "crud-user", email: "crud@example.com", displayName: "Crud", role: "user" })
    const id = created.data?.id as string

    const got = await admin.api.users({ id }).get()
    expect(got.data?.username).toBe("crud-user")

    const patched = await admin.api.users({ id }).patch({ role: "operator", displayName: "Crud Op" })
    expect(patched.status).toBe(200)
    expect(patched.data).toMatchObject({ role: "operator", displayName: "Crud Op" })

    const listed = await admin.api.users.get({ query: { q: "crud", role: "operator" } })
    expect(listed.data?.items.map((u) => u.id)).toEqual([id])
    expect(listed.data?.total).toBe(1)

    const deleted = await admin.fetch(`/api/v1/users/${id}`, { method: "DELETE" })
    expect(deleted.status).toBe(204)
    expect((await admin.api.users({ id }).get()).status).toBe(404)
  })

  test("the display name defaults to the username", async () => {
    const { data } = await admin.api.users.post({ username: "plain-name" })
    expect(data?.displayName).toBe("plain-name")
    expect(data?.email).toBeNull()
  })

  test("listing pages through users with limit and offset and reports the total", async () => {
    for (const n of [1, 2, 3]) await admin.api.users.post({ username: `page-${n}` })
    const first = await admin.api.users.get({ query: { q: "page-", limit: 2 } })
    expect(first.data?.items.map((u) => u.username)).toEqual(["page-1", "page-2"])
    expect(first.data?.total).toBe(3)
    const second = await admin.api.users.get({ query: { q: "page-", limit: 2, offset: 2 } })
    expect(second.data?.items.map((u) => u.username)).toEqual(["page-3"])
  })

  test("a taken username or email is a 409 with its own code", async () => {
    await admin.api.users.post({ username: "taken", email: "taken@example.com" })
    const sameName = await admin.fetch("/api/v1/users", json("POST", { username: "taken" }))
    expect(sameName.status).toBe(409)
    expect((await sameName.json()).code).toBe("USERNAME_TAKEN")
    const sameEmail = await admin.fetch("/api/v1/users", json("POST", { username: "other", email: "taken@example.com" }))
    expect(sameEmail.status).toBe(409)
    expect((await sameEmail.json()).code).toBe("EMAIL_TAKEN")
  })

  test("invalid input is a 422 naming the field", async () => {
    const cases: [RequestInit, string, string][] = [
      [json("POST", { username: "Bad Name!" }), "/api/v1/users", "/username"],
      [json("POST", { username: "ok-name", email: "not-an-email" }), "/api/v1/users", "/email"],
      [json("POST", { username: "ok-name", role: "root" }), "/api/v1/users", "/role"],
      [json("PATCH", {}), `/api/v1/users/${admin.user.id}`, "/"],
      [{ method: "GET" }, "/api/v1/users/not-a-uuid", "params:/id"],
      [{ method: "GET" }, "/api/v1/users?limit=0", "query:/limit"],
    ]
    for (const [init, path, field] of cases) {
      const res = await admin.fetch(path, init)
      expect(res.status).toBe(422)
      expect(res.headers.get("content-type")).toContain("application/problem+json")
      const problem = await res.json()
      expect(problem.code).toBe("VALIDATION_FAILED")
      expect(problem.errors.map((e: { field: string }) => e.field)).toContain(field)
    }
  })

  test("an unknown user id answers 404", async () => {
    const id = crypto.randomUUID()
    expect((await admin.api.users({ id }).get()).status).toBe(404)
    expect((await admin.api.users({ id }).patch({ displayName: "x" })).status).toBe(404)
    expect((await admin.fetch(`/api/v1/users/${id}`, { method: "DELETE" })).status).toBe(404)
  })

  test("the last enabled admin can be neither demoted, disabled nor deleted", async () => {
    const solo = await startTestCore()
    try {
      const only = await solo.admin()
      const other = await solo.admin()
      // Two admins: one may step down, then the other is the last and is protected.
      expect((await other.api.users({ id: only.user.id }).patch({ role: "user" })).status).toBe(200)
      for (const patch of [{ role: "user" as const }, { disabled: true }]) {
        const res = await other.fetch(`/api/v1/users/${other.user.id}`, json("PATCH", patch))
        expect(res.status).toBe(409)
        expect((await res.json()).code).toBe("LAST_ADMIN")
      }
      const again = await solo.admin()
      const res = await again.fetch(`/api/v1/users/${other.user.id}`, { method: "DELETE" })
      expect(res.status).toBe(204)
      const last = await again.fetch(`/api/v1/users/${again.user.id}`, json("PATCH", { disabled: true }))
      expect((await last.json()).code).toBe("LAST_ADMIN")
    } finally {
      await solo.close()
    }
  })

  test("an admin cannot delete their own account", async () => {
    const res = await admin.fetch(`/api/v1/users/${admin.user.id}`, { method: "DELETE" })
    expect(res.status).toBe(409)
    expect((await res.json()).code).toBe("SELF_DELETE")
  })

  test("a user with an active session cannot be deleted until it ends", async () => {
    const { data: template } = await admin.api.templates.post({
      name: "users-test-app",
      displayName: "App",
      category: "Test",
      image: "streamspace/desktop:latest",
      resources: { cpu: 1, memory: 256 },
    })
    const busy = await core.user("busy-user")
    const { data: session } = await busy.api.sessions.post({ templateId: template?.id as string })
    const refused = await admin.fetch(`/api/v1/users/${busy.user.id}`, { method: "DELETE" })
    expect(refused.status).toBe(409)
    expect((await refused.json()).code).toBe("USER_HAS_SESSIONS")
    await busy.fetch(`/api/v1/sessions/${session?.id}`, { method: "DELETE" })
    expect((await admin.fetch(`/api/v1/users/${busy.user.id}`, { method: "DELETE" })).status).toBe(204)
  })

  test("a disabled user's token stops working at once, and works again when re-enabled", async () => {
    const dora = await core.user("dora-disabled")
    expect((await dora.api.me.get()).status).toBe(200)
    await admin.api.users({ id: dora.user.id }).patch({ disabled: true })
    const refused = await dora.fetch("/api/v1/me")
    expect(refused.status).toBe(401)
    expect((await refused.json()).code).toBe("UNAUTHENTICATED")
    await admin.api.users({ id: dora.user.id }).patch({ disabled: false })
    expect((await dora.api.me.get()).status).toBe(200)
  })

  test("a role change applies to the next request of an existing token", async () => {
    const ron = await core.user("ron-promoted")
    expect((await ron.api.users.get({ query: {} })).status).toBe(403)
    await admin.api.users({ id: ron.user.id }).patch({ role: "admin" })
    expect((await ron.api.users.get({ query: {} })).status).toBe(200)
  })

  test("a deleted user's token is refused", async () => {
    const gone = await core.user("gone-user")
    await admin.fetch(`/api/v1/users/${gone.user.id}`, { method: "DELETE" })
    expect((await gone.fetch("/api/v1/me")).status).toBe(401)
  })
})
