// OIDC sign-in end to end: a real oidc-provider on loopback, authorization code + PKCE through its dev forms, the auth plugin provisioning.
import { afterAll, beforeAll, expect, test } from "bun:test"
import type { TokenResponse } from "@streamspace/schemas"
import { type AuthTestCore, startAuthCore } from "./auth-test-core.ts"
import { createOidc, safeReturnTo } from "./oidc.ts"
import { CookieJar, loginAtProvider, startOidcProvider, type TestOidcProvider } from "./test-oidc-provider.ts"

let core: AuthTestCore
let provider: TestOidcProvider
let callback: string

beforeAll(async () => {
  core = await startAuthCore({ oidc: { roleMapping: { admin: ["ss-admins"], operator: ["ss-operators"] } } })
  callback = `${core.url}/api/v1/auth/oidc/callback`
  provider = await startOidcProvider(callback)
  core.authOptions.oidc = createOidc(
    {
      issuer: provider.issuer,
      clientId: provider.clientId,
      clientSecret: provider.clientSecret,
      redirectUri: callback,
      scopes: "openid email profile groups",
      roleClaim: "groups",
      name: "Test IdP",
      allowInsecureRequests: true,
    },
    "test-signing-key-that-is-long-enough-000000",
  )
  provider.accounts.set("sub-ada", {
    email: "ada@example.com",
    emailVerified: true,
    name: "Ada Lovelace",
    preferredUsername: "ada",
    groups: ["staff", "ss-operators"],
  })
}, 60_000)
afterAll(async () => {
  await core.close()
  await provider.close()
})

/** The browser's part: start at the core, sign in at the provider, come back to the callback. */
async function browserSignIn(accountId: string, returnTo = "/desktop") {
  const jar = new CookieJar()
  const start = await fetch(`${core.url}/api/v1/auth/oidc/start?returnTo=${encodeURIComponent(returnTo)}`, { redirect: "manual" })
  expect(start.status).toBe(303)
  jar.take(start)
  const authorization = new URL(start.headers.get("location") ?? "")
  expect(authorization.origin).toBe(provider.issuer)
  expect(authorization.searchParams.get("code_challenge_method")).toBe("S256")
  expect(authorization.searchParams.get("state")).toBeTruthy()
  expect(authorization.searchParams.get("nonce")).toBeTruthy()
  const back = await loginAtProvider(jar, authorization.toString(), accountId, callback)
  const cookiesAtCallback = jar.header()
  const done = await fetch(back, { redirect: "manual", headers: { cookie: cookiesAtCallback } })
  jar.take(done)
  return { jar, done, back, cookiesAtCallback }
}

test("an unknown identity is provisioned with the role its groups claim maps to, and signed in", async () => {
  const { jar, done } = await browserSignIn("sub-ada")
  expect(done.status).toBe(303)
  expect(done.headers.get("location")).toBe("/desktop")
  const refreshToken = jar.get("ss_refresh")
  expect(refreshToken).toStartWith("ssr_")

  const refreshed = await core.post("/api/v1/auth/refresh", undefined, { cookie: `ss_refresh=${refreshToken}` })
  expect(refreshed.status).toBe(200)
  const tokens = (await refreshed.json()) as TokenResponse
  expect(tokens.user).toMatchObject({ username: "ada", email: "ada@example.com", displayName: "Ada Lovelace", role: "operator" })
  const me = await core.get("/api/v1/me", { token: tokens.accessToken })
  expect(await me.json()).toMatchObject({ username: "ada", role: "operator" })
  const signIns = (await (await core.get("/api/v1/auth/sign-ins", { token: tokens.accessToken })).json()) as { method: string }[]
  expect(signIns.map((s) => s.method)).toEqual(["oidc"])
})

test("the next sign-in finds the same user by subject and follows a change of groups", async () => {
  const before = (await core.deps.sql`select count(*)::int as n from users`)[0]?.n
  const ada = provider.accounts.get("sub-ada")
  if (ada === undefined) throw new Error("the first test registers ada")
  provider.accounts.set("sub-ada", { ...ada, groups: ["ss-admins"] })
  const { jar } = await browserSignIn("sub-ada")
  const tokens = (await (
    await core.post("/api/v1/auth/refresh", undefined, { cookie: `ss_refresh=${jar.get("ss_refresh")}` })
  ).json()) as TokenResponse
  expect(tokens.user).toMatchObject({ username: "ada", role: "admin" })
  expect((await core.deps.sql`select count(*)::int as n from users`)[0]?.n).toBe(before)
})

test("a user who signs in only through OIDC is told their password is managed by the identity provider", async () => {
  const { jar } = await browserSignIn("sub-ada")
  const tokens = (await (
    await core.post("/api/v1/auth/refresh", undefined, { cookie: `ss_refresh=${jar.get("ss_refresh")}` })
  ).json()) as TokenResponse
  expect(await (await core.get("/api/v1/auth/status", { token: tokens.accessToken })).json()).toMatchObject({
    passwordSet: false,
  })
  const change = await core.post(
    "/api/v1/auth/password",
    { currentPassword: "anything at all", newPassword: "a brand new password" },
    { token: tokens.accessToken },
  )
  const problem = (await change.json()) as { code: string; detail: string }
  expect({ status: change.status, code: problem.code }).toEqual({ status: 409, code: "NO_LOCAL_PASSWORD" })
  expect(problem.detail).toContain("identity provider")
  // Nothing was set: a password sign-in with what was sent still fails.
  expect((await core.post("/api/v1/auth/sign-in", { username: "ada", password: "a brand new password" })).status).toBe(401)
})

test("a callback replayed (the code is spent), or without the flow cookie, is refused with 401", async () => {
  const { back, cookiesAtCallback } = await browserSignIn("sub-ada")
  const replay = await fetch(back, { redirect: "manual", headers: { cookie: cookiesAtCallback } })
  expect(replay.status).toBe(401)
  expect(((await replay.json()) as { code: string }).code).toBe("OIDC_FAILED")
  const bare = await fetch(back, { redirect: "manual" })
  expect(bare.status).toBe(401)
  const forged = await fetch(`${callback}?code=abc&state=def`, { redirect: "manual", headers: { cookie: "ss_oidc=e30.bad" } })
  expect(forged.status).toBe(401)
})

test("a browser whose callback fails is sent to the portal's sign-in page with the failure's code", async () => {
  const { back, cookiesAtCallback } = await browserSignIn("sub-ada")
  const replay = await fetch(back, { redirect: "manual", headers: { cookie: cookiesAtCallback, accept: "text/html,*/*;q=0.8" } })
  expect(replay.status).toBe(303)
  expect(replay.headers.get("location")).toBe("/sign-in?ssoError=OIDC_FAILED")
  expect(replay.headers.get("set-cookie")).toContain("ss_oidc=; Max-Age=0")
  expect(replay.headers.get("set-cookie")).not.toContain("ss_refresh=ssr_")
})

test("returnTo only keeps same-origin paths", () => {
  expect(safeReturnTo("/sessions/1?x=y")).toBe("/sessions/1?x=y")
  for (const bad of ["https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:alert(1)", undefined])
    expect(safeReturnTo(bad)).toBe("/")
})
