import { afterAll, expect, test } from "bun:test"
import type { PluginPermissions } from "@streamspace/schemas"
import { checkedHost } from "./checked-host.ts"
import { urlAllowed } from "./http-allowlist.ts"
import { InMemoryHostApi } from "./in-memory-host.ts"
import { ALICE, runningSession } from "./test-fixtures.ts"

const server = Bun.serve({
  port: 0,
  fetch(request) {
    const url = new URL(request.url)
    if (url.pathname === "/api/slow") return Bun.sleep(500).then(() => new Response("late"))
    if (url.pathname === "/api/big") return new Response("x".repeat(4096))
    if (url.pathname === "/api/redirect") return Response.redirect("http://169.254.169.254/", 302)
    return Response.json({ method: request.method, body: request.method === "POST" ? "posted" : null })
  },
})
afterAll(() => server.stop(true))
const origin = `http://127.0.0.1:${server.port}`

const hostFor = (permissions: PluginPermissions, now = Date.now) => {
  const api = new InMemoryHostApi(
    { users: [ALICE], secrets: { i1: { TOKEN: "s3cret", OTHER: "no" } } },
    { http: { timeoutMs: 200, maxResponseBytes: 1024 }, now },
  )
  return { api, call: checkedHost({ installId: "i1", pluginId: "t.p", permissions }, api) }
}

test("the http allowlist admits URLs under a prefix of the same origin only", () => {
  const allow = ["https://api.example.com/v1/"]
  expect(urlAllowed("https://api.example.com/v1/users?x=1", allow)).toBe(true)
  expect(urlAllowed("https://api.example.com/v1", allow)).toBe(false)
  expect(urlAllowed("https://api.example.com/v1", ["https://api.example.com/v1"])).toBe(true)
  expect(urlAllowed("https://api.example.com/v10/", allow)).toBe(false)
  expect(urlAllowed("https://api.example.com.evil.test/v1/", allow)).toBe(false)
  expect(urlAllowed("http://api.example.com/v1/", allow)).toBe(false)
  expect(urlAllowed("https://user:pw@api.example.com/v1/", allow)).toBe(false)
  expect(urlAllowed("https://api.example.com/v1/../admin", allow)).toBe(false)
  expect(urlAllowed("file:///etc/passwd", ["file:///"])).toBe(false)
})

test("a prefix with the host * admits any host and port of its scheme only", () => {
  expect(urlAllowed("https://hooks.example.com:8443/in", ["https://*"])).toBe(true)
  expect(urlAllowed("https://hooks.example.com/in", ["https://*/in/"])).toBe(false)
  expect(urlAllowed("https://hooks.example.com/in/x", ["https://*/in/"])).toBe(true)
  expect(urlAllowed("http://hooks.example.com/in", ["https://*"])).toBe(false)
  expect(urlAllowed("https://user:pw@hooks.example.com/", ["https://*"])).toBe(false)
  expect(urlAllowed("https://*.example.com/", ["https://api.example.com/"])).toBe(false)
})

test("http.fetch reaches an allowed URL and is refused elsewhere with the allowlist named", async () => {
  const { call } = hostFor({ http: { allow: [`${origin}/api/`] } })
  expect(await call("http.fetch", [`${origin}/api/echo`, { method: "POST", body: "hi" }])).toMatchObject({
    value: { status: 200, body: JSON.stringify({ method: "POST", body: "posted" }) },
  })
  expect(await call("http.fetch", [`${origin}/admin`])).toEqual({
    code: "HOST_PERMISSION_DENIED",
    message: `${origin}/admin is not on this install's http allowlist (${origin}/api/).`,
  })
})

test("http.fetch stops at its deadline and its size cap, and does not follow redirects", async () => {
  const { call } = hostFor({ http: { allow: [`${origin}/api/`] } })
  expect(await call("http.fetch", [`${origin}/api/slow`])).toEqual({
    code: "HOST_CALL_FAILED",
    message: `${origin}/api/slow did not answer within 200 ms.`,
  })
  expect(await call("http.fetch", [`${origin}/api/big`])).toEqual({
    code: "HOST_CALL_FAILED",
    message: `The response from ${origin}/api/big is larger than 1024 bytes.`,
  })
  expect(await call("http.fetch", [`${origin}/api/redirect`])).toMatchObject({ value: { status: 302, body: "" } })
})

test("arguments are checked against host:api before anything runs, naming the argument", async () => {
  const { call } = hostFor({ kv: { quotaBytes: 100 } })
  expect(await call("kv.get", [42])).toEqual({ code: "HOST_BAD_ARGUMENTS", message: "kv.get: argument /0: Expected string" })
  expect(await call("kv.set", ["k"])).toMatchObject({ code: "HOST_BAD_ARGUMENTS" })
})

test("secrets are readable only by the names granted", async () => {
  const { call } = hostFor({ secrets: ["TOKEN"] })
  expect(await call("secrets.get", ["TOKEN"])).toEqual({ value: "s3cret" })
  expect(await call("secrets.get", ["OTHER"])).toMatchObject({ code: "HOST_PERMISSION_DENIED" })
})

test("a plugin keeps secrets of its own only with secretStore, up to its count, and never under an admin's name", async () => {
  const { call } = hostFor({ secrets: ["TOKEN"], secretStore: { maxSecrets: 2 } })
  expect(await call("secrets.set", ["own.a", "alpha"])).toEqual({ value: null })
  expect(await call("secrets.set", ["own.b", "beta"])).toEqual({ value: null })
  expect(await call("secrets.get", ["own.a"])).toEqual({ value: "alpha" })
  expect(await call("secrets.set", ["own.a", "alpha-2"])).toEqual({ value: null }) // a replacement is not one more
  expect(await call("secrets.set", ["own.c", "gamma"])).toEqual({
    code: "HOST_QUOTA_EXCEEDED",
    message: "This install keeps 2 secrets already; its grant allows 2.",
  })
  expect(await call("secrets.delete", ["own.b"])).toEqual({ value: true })
  expect(await call("secrets.delete", ["own.b"])).toEqual({ value: false })
  expect(await call("secrets.set", ["own.c", "gamma"])).toEqual({ value: null })
  expect(await call("secrets.get", ["own.missing"])).toEqual({ value: null })
  // The admin's secret stays the admin's: readable, not writable, and not shadowed by the plugin's.
  expect(await call("secrets.set", ["TOKEN", "mine"])).toMatchObject({ code: "HOST_PERMISSION_DENIED" })
  expect(await call("secrets.get", ["TOKEN"])).toEqual({ value: "s3cret" })
  expect(await call("secrets.set", ["1bad name", "x"])).toMatchObject({ code: "HOST_BAD_ARGUMENTS" })
  expect(await call("secrets.set", ["own.big", "x".repeat(4097)])).toMatchObject({ code: "HOST_BAD_ARGUMENTS" })

  const without = hostFor({ secrets: ["TOKEN"] }).call
  expect(await without("secrets.set", ["own.a", "alpha"])).toMatchObject({
    code: "HOST_PERMISSION_DENIED",
    message: expect.stringContaining('"secretStore"'),
  })
  expect(await without("secrets.delete", ["own.a"])).toMatchObject({ code: "HOST_PERMISSION_DENIED" })
  expect(await without("secrets.get", ["own.a"])).toMatchObject({ code: "HOST_PERMISSION_DENIED" })
})

test("crypto hashes passwords with argon2id and verifies them; HMAC and random bytes encode as asked", async () => {
  const { call } = hostFor({ crypto: true })
  const hashed = await call("crypto.hashPassword", ["correct horse"])
  const hash = "value" in hashed ? String(hashed.value) : ""
  expect(hash).toStartWith("$argon2id$")
  expect(await call("crypto.verifyPassword", ["correct horse", hash])).toEqual({ value: true })
  expect(await call("crypto.verifyPassword", ["wrong", hash])).toEqual({ value: false })
  expect(await call("crypto.verifyPassword", ["x", "not-a-hash"])).toEqual({ value: false })
  // RFC 4231 test case 2
  expect(await call("crypto.hmac", ["sha256", "Jefe", "what do ya want for nothing?"])).toEqual({
    value: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
  })
  // The same key given as raw bytes (base64 of "Jefe"), the answer in standard base64.
  expect(await call("crypto.hmac", ["sha256", { base64: "SmVmZQ==" }, "what do ya want for nothing?", "base64"])).toEqual({
    value: "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM=",
  })
  expect(await call("crypto.hmac", ["sha256", { base64: "not base64!" }, "x"])).toMatchObject({ code: "HOST_BAD_ARGUMENTS" })
  const random = await call("crypto.randomBytes", [16, "base64url"])
  expect("value" in random && String(random.value)).toMatch(/^[A-Za-z0-9_-]{22}$/)
})

test("kv entries expire after their TTL and kv.list returns keys by prefix in order", async () => {
  let now = 1_000_000
  const { call } = hostFor({ kv: { quotaBytes: 1000 } }, () => now)
  await call("kv.set", ["lock:b", 1, { ttlSeconds: 10 }])
  await call("kv.set", ["lock:a", 2])
  await call("kv.set", ["other", 3])
  expect(await call("kv.list", ["lock:"])).toEqual({ value: ["lock:a", "lock:b"] })
  now += 10_001
  expect(await call("kv.get", ["lock:b"])).toEqual({ value: null })
  expect(await call("kv.list", ["lock:", 10])).toEqual({ value: ["lock:a"] })
  expect(await call("kv.delete", ["lock:a"])).toEqual({ value: true })
})

test("users can be looked up by username or email once granted", async () => {
  const { call } = hostFor({ users: "read" })
  expect(await call("users.lookup", [{ email: "alice@example.com" }])).toMatchObject({ value: { id: ALICE.id } })
  expect(await call("users.get", [ALICE.id])).toMatchObject({ value: { username: "alice" } })
  expect(await hostFor({}).call("users.get", [ALICE.id])).toMatchObject({ code: "HOST_PERMISSION_DENIED" })
})

test("kv.increment counts from zero, keeps the window its first call set, and refuses a key holding text", async () => {
  let now = 1_000_000
  const { call } = hostFor({ kv: { quotaBytes: 1024 } }, () => now)
  expect(await call("kv.increment", ["hits"])).toEqual({ value: 1 })
  expect(await call("kv.increment", ["hits", 2, { ttlSeconds: 60 }])).toEqual({ value: 3 })
  expect(await call("kv.increment", ["window", 1, { ttlSeconds: 60 }])).toEqual({ value: 1 })
  now += 30_000
  expect(await call("kv.increment", ["window", 1, { ttlSeconds: 60 }])).toEqual({ value: 2 })
  now += 31_000 // past the first call's 60 s, though only 31 s after the second
  expect(await call("kv.get", ["window"])).toEqual({ value: null })
  expect(await call("kv.increment", ["window", 1, { ttlSeconds: 60 }])).toEqual({ value: 1 })
  await call("kv.set", ["name", "alice"])
  expect(await call("kv.increment", ["name"])).toMatchObject({ code: "HOST_BAD_ARGUMENTS" })
  expect(await call("kv.increment", ["hits", "2"])).toMatchObject({ code: "HOST_BAD_ARGUMENTS" })
  expect(await hostFor({}).call("kv.increment", ["hits"])).toMatchObject({ code: "HOST_PERMISSION_DENIED" })
})

test("acting on sessions needs sessions: write, follows the state machine, and keeps the reason", async () => {
  const { api, call } = hostFor({ sessions: "write" })
  const [one, two] = [runningSession(1), runningSession(2)]
  for (const s of [one, two]) api.sessionsById.set(s.id, s)
  expect(await call("sessions.hibernate", [one.id])).toMatchObject({ value: { id: one.id, state: "hibernated" } })
  expect(await call("sessions.hibernate", [one.id])).toMatchObject({ code: "HOST_CALL_FAILED" })
  expect(await call("sessions.stop", [two.id, { reason: "idle for 30 minutes" }])).toMatchObject({
    value: { state: "stopped", reason: "idle for 30 minutes" },
  })
  expect(await call("sessions.stop", [two.id, { why: "x" }])).toMatchObject({ code: "HOST_BAD_ARGUMENTS" })

  const reader = hostFor({ sessions: "read" })
  reader.api.sessionsById.set(one.id, runningSession(1))
  expect(await reader.call("sessions.stop", [one.id])).toMatchObject({
    code: "HOST_PERMISSION_DENIED",
    message: expect.stringContaining('"sessions: write"'),
  })
  expect(await reader.call("sessions.get", [one.id])).toMatchObject({ value: { state: "running" } })
})
