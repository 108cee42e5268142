// Sign-in end to end over HTTP: a listening core, the real plugin runtime and the first-party auth plugin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { TokenResponse } from "@streamspace/schemas"
import { Secret, TOTP } from "otpauth"
import { SETUP_TOKEN_KEY, ensureFirstAdmin } from "../../bootstrap.ts"
import { type AuthTestCore, startAuthCore } from "./auth-test-core.ts"

const PASSWORD = "correct horse battery"
let core: AuthTestCore

beforeAll(async () => {
  core = await startAuthCore({
    lockout: { maxFailures: 3, windowSeconds: 300, lockoutSeconds: 300 },
    invitation: { ttlSeconds: 2 },
  })
}, 60_000)
afterAll(() => core.close())

const expectProblem = async (response: Response, status: number, code: string) => {
  const body = (await response.json()) as { code: string; status: number; detail: string }
  expect({ status: response.status, code: body.code }).toEqual({ status, code })
  expect(response.headers.get("content-type")).toStartWith("application/problem+json")
  return body
}

const signIn = (username: string, password: string, extra: Record<string, string> = {}) =>
  core.post("/api/v1/auth/sign-in", { username, password, ...extra })

const signedIn = async (username: string, password = PASSWORD, extra: Record<string, string> = {}) => {
  const response = await signIn(username, password, extra)
  expect(response.status).toBe(200)
  return (await response.json()) as TokenResponse
}

/** An admin-created user who set a password through an invitation. */
const invitedUser = async (username: string) => {
  const created = await core.post("/api/v1/users", { username, email: `${username}@example.com` }, { token: core.adminToken })
  const user = (await created.json()) as { id: string }
  const invitation = (await (
    await core.post("/api/v1/auth/invitations", { userId: user.id }, { token: core.adminToken })
  ).json()) as {
    token: string
  }
  expect((await core.post("/api/v1/auth/invitations/accept", { token: invitation.token, password: PASSWORD })).status).toBe(200)
  return user
}

describe("first-run setup", () => {
  test("the setup token sets the admin's password once; a wrong or expired token is refused", async () => {
    expect(await (await core.get("/api/v1/auth/methods")).json()).toMatchObject({ setupRequired: true, oidc: null })
    const expired = await ensureFirstAdmin(core.deps.sql, "admin")
    if (expired === null) throw new Error("no setup token was issued")
    await core.deps.sql`update settings set value = jsonb_set(value, '{expiresAt}', '"2000-01-01T00:00:00.000Z"')
      where key = ${SETUP_TOKEN_KEY}`
    await expectProblem(
      await core.post("/api/v1/auth/setup", { token: expired.token, password: PASSWORD }),
      401,
      "SETUP_TOKEN_INVALID",
    )

    const setup = await ensureFirstAdmin(core.deps.sql, "admin")
    if (setup === null) throw new Error("no setup token was issued")
    const wrong = await expectProblem(
      await core.post("/api/v1/auth/setup", { token: `${setup.token}x`, password: PASSWORD }),
      401,
      "SETUP_TOKEN_INVALID",
    )
    expect(wrong.detail).toContain("Restart the control plane")
    // A weak password is refused without spending the token.
    await expectProblem(await core.post("/api/v1/auth/setup", { token: setup.token, password: "short" }), 422, "WEAK_PASSWORD")
    const done = await core.post("/api/v1/auth/setup", { token: setup.token, password: PASSWORD })
    expect(done.status).toBe(200)
    expect(await done.json()).toMatchObject({ username: "admin", role: "admin" })
    await expectProblem(
      await core.post("/api/v1/auth/setup", { token: setup.token, password: PASSWORD }),
      409,
      "SETUP_ALREADY_DONE",
    )
    expect(await (await core.get("/api/v1/auth/methods")).json()).toMatchObject({ setupRequired: false })

    const admin = await signedIn("admin")
    core.adminToken = admin.accessToken
    const me = await core.get("/api/v1/me", { token: admin.accessToken })
    expect(await me.json()).toMatchObject({ username: "admin", role: "admin" })
  })
})

describe("password sign-in", () => {
  test("a sign-in answers tokens and sets the refresh cookie HttpOnly, SameSite=Strict, on the auth path", async () => {
    const response = await signIn("admin", PASSWORD)
    const body = (await response.json()) as TokenResponse
    expect(body).toMatchObject({ tokenType: "Bearer", expiresIn: 900, user: { username: "admin" } })
    const cookie = response.headers.get("set-cookie") ?? ""
    expect(cookie).toStartWith(`ss_refresh=${body.refreshToken};`)
    expect(cookie).toContain("HttpOnly")
    expect(cookie).toContain("SameSite=Strict")
    expect(cookie).toContain("Path=/api/v1/auth")
    expect(cookie).not.toContain("Secure") // plain http here; authOptionsFrom sets Secure for an https PUBLIC_URL
  })

  test("a wrong password and an unknown user get the same 401", async () => {
    const wrong = await expectProblem(await signIn("admin", "not the password"), 401, "INVALID_CREDENTIALS")
    const unknown = await expectProblem(await signIn("nobody", "not the password"), 401, "INVALID_CREDENTIALS")
    expect(unknown.detail).toBe(wrong.detail)
    await signedIn("admin") // a success starts the admin's failure count again
  })

  test("malformed sign-in requests are 4xx naming the field, never 500", async () => {
    // (a failed attempt counts against the name: these use names of their own)
    const cases: [BodyInit, number][] = [
      [JSON.stringify({ username: "malformed" }), 422],
      [JSON.stringify({ username: "x".repeat(300), password: "p" }), 422],
      [JSON.stringify({ username: "malformed", password: "p", totp: "12ab56" }), 422],
      [JSON.stringify({ username: "malformed", password: 7 }), 422],
      [JSON.stringify({ username: "\u0000", password: "\u0000" }), 401],
      ["{not json", 400],
    ]
    for (const [body, status] of cases) {
      const response = await core.raw("/api/v1/auth/sign-in", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      })
      expect(response.status).toBe(status)
    }
    const named = (await (await core.post("/api/v1/auth/sign-in", { username: "admin" })).json()) as {
      errors: { field: string }[]
    }
    expect(named.errors[0]?.field).toBe("/password")
    const badCookie = await core.raw("/api/v1/auth/refresh", {
      method: "POST",
      headers: { cookie: `ss_refresh=${"x".repeat(600)}` },
    })
    expect(badCookie.status).toBe(401)
  })

  test("sign-in attempts are audited with the name typed and the outcome, never the password", async () => {
    const id = `audit-${Date.now()}`
    await core.raw("/api/v1/auth/sign-in", {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": id },
      body: JSON.stringify({ username: "ghost\u0000", password: "secret password" }),
    })
    await core.auditSettled()
    const rows = await core.deps.sql`select action, outcome, status, detail from audit_events where request_id = ${id}`
    expect(rows.map((r) => ({ ...r }))).toEqual([
      { action: "auth.signIn", outcome: "failure", status: 401, detail: { username: "ghost" } },
    ])
    expect(JSON.stringify(rows)).not.toContain("secret password")
  })

  test("an account locks after the configured failures: 429 with Retry-After, even for the right password", async () => {
    await invitedUser("locky")
    await expectProblem(await signIn("locky", "guess one"), 401, "INVALID_CREDENTIALS")
    await expectProblem(await signIn("locky", "guess two"), 401, "INVALID_CREDENTIALS")
    const locked = await signIn("locky", "guess three")
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(200)
    await expectProblem(locked, 429, "ACCOUNT_LOCKED")
    await expectProblem(await signIn("locky", PASSWORD), 429, "ACCOUNT_LOCKED")
    // the lock is per account: others from the same address still sign in
    await signedIn("admin")
  })

  test("a burst of parallel wrong passwords is counted whole: the account locks, the right password is refused", async () => {
    await invitedUser("bursty")
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => signIn("bursty", `guess ${i}`)))
    expect(answers.map((r) => r.status).sort()).toEqual(expect.arrayContaining([401, 429]))
    await expectProblem(await signIn("bursty", PASSWORD), 429, "ACCOUNT_LOCKED")
  })
})

describe("refresh, sign-out and active sign-ins", () => {
  test("refresh rotates through the cookie; a reused token revokes the whole sign-in", async () => {
    const first = await signedIn("admin")
    const rotated = await core.post("/api/v1/auth/refresh", undefined, { cookie: `ss_refresh=${first.refreshToken}` })
    expect(rotated.status).toBe(200)
    const second = (await rotated.json()) as TokenResponse
    expect(second.signInId).toBe(first.signInId)
    expect(rotated.headers.get("set-cookie")).toStartWith(`ss_refresh=${second.refreshToken};`)

    await expectProblem(await core.post("/api/v1/auth/refresh", { refreshToken: first.refreshToken }), 401, "REFRESH_REUSED")
    await expectProblem(await core.post("/api/v1/auth/refresh", { refreshToken: second.refreshToken }), 401, "REFRESH_INVALID")
    await expectProblem(await core.post("/api/v1/auth/refresh", {}), 401, "REFRESH_MISSING")
  })

  test("sign-out ends the sign-in and clears the cookie", async () => {
    const tokens = await signedIn("admin")
    const out = await core.post("/api/v1/auth/sign-out", undefined, { cookie: `ss_refresh=${tokens.refreshToken}` })
    expect(out.status).toBe(204)
    expect(out.headers.get("set-cookie")).toStartWith("ss_refresh=; Max-Age=0;")
    await expectProblem(await core.post("/api/v1/auth/refresh", { refreshToken: tokens.refreshToken }), 401, "REFRESH_INVALID")
    await expectProblem(await core.get("/api/v1/auth/status", { token: tokens.accessToken }), 401, "UNAUTHENTICATED")
    const events = await core.deps.sql<{ type: string; payload: { method?: string } }[]>`select type, payload from outbox
      where type like 'user.signed_%' and payload->>'userId' = ${tokens.user.id} order by id desc limit 2`
    expect(events.map((e) => e.type)).toEqual(["user.signed_out", "user.signed_in"])
    expect(events[1]?.payload.method).toBe("password")
  })

  test("a user lists their sign-ins, sees the current one and ends another", async () => {
    const user = await invitedUser("multi")
    const laptop = await signedIn("multi")
    const phone = await signedIn("multi")
    const listed = (await (await core.get("/api/v1/auth/sign-ins", { token: laptop.accessToken })).json()) as {
      id: string
      current: boolean
      ip: string
    }[]
    expect(listed.map((s) => s.id).sort()).toEqual([laptop.signInId, phone.signInId].sort())
    expect(listed.find((s) => s.current)?.id).toBe(laptop.signInId)
    expect(listed[0]?.ip).toBe("127.0.0.1")
    // Both access tokens work while both sign-ins live.
    expect((await core.get("/api/v1/auth/status", { token: phone.accessToken })).status).toBe(200)
    const ended = await core.delete(`/api/v1/auth/sign-ins/${phone.signInId}`, { token: laptop.accessToken })
    expect(ended.status).toBe(204)
    await expectProblem(await core.post("/api/v1/auth/refresh", { refreshToken: phone.refreshToken }), 401, "REFRESH_INVALID")
    // The ended sign-in's access token stops at once, not when it expires; the other one keeps working.
    await expectProblem(await core.get("/api/v1/auth/status", { token: phone.accessToken }), 401, "UNAUTHENTICATED")
    expect((await core.get("/api/v1/auth/status", { token: laptop.accessToken })).status).toBe(200)
    await expectProblem(
      await core.delete(`/api/v1/auth/sign-ins/${phone.signInId}`, { token: laptop.accessToken }),
      404,
      "SIGN_IN_NOT_FOUND",
    )
    // another user cannot end it
    const other = await signedIn("admin")
    const foreign = await core.delete(`/api/v1/auth/sign-ins/${laptop.signInId}`, { token: other.accessToken })
    expect(foreign.status).toBe(404)
    expect(user.id).toBeString()
  })
})

describe("invitations", () => {
  test("an admin's invitation link works once; an expired one is refused; only admins invite", async () => {
    const created = await core.post("/api/v1/users", { username: "invitee" }, { token: core.adminToken })
    const user = (await created.json()) as { id: string }
    const invite = await core.post("/api/v1/auth/invitations", { userId: user.id }, { token: core.adminToken })
    expect(invite.status).toBe(201)
    const invitation = (await invite.json()) as { token: string; url: string; expiresAt: string }
    // Without PUBLIC_URL the link uses the address the admin reached the control plane at.
    expect(invitation.url).toBe(`${core.url}/invitation#token=${invitation.token}`)

    const accept = () => core.post("/api/v1/auth/invitations/accept", { token: invitation.token, password: PASSWORD })
    expect(await (await accept()).json()).toMatchObject({ id: user.id, username: "invitee" })
    await expectProblem(await accept(), 410, "INVITATION_INVALID")
    expect((await signIn("invitee", PASSWORD)).status).toBe(200)

    const late = (await (
      await core.post("/api/v1/auth/invitations", { userId: user.id }, { token: core.adminToken })
    ).json()) as {
      token: string
    }
    await Bun.sleep(2100)
    await expectProblem(
      await core.post("/api/v1/auth/invitations/accept", { token: late.token, password: PASSWORD }),
      410,
      "INVITATION_INVALID",
    )

    const invitee = await signedIn("invitee")
    const refused = await core.post("/api/v1/auth/invitations", { userId: user.id }, { token: invitee.accessToken })
    expect(refused.status).toBe(403)
  })
})

describe("TOTP two-factor", () => {
  test("enrol, verify, then sign in with a code or a recovery code (each once)", async () => {
    await invitedUser("totty")
    const session = await signedIn("totty")
    const token = session.accessToken
    const enrolment = (await (await core.post("/api/v1/auth/totp/enrol", undefined, { token })).json()) as {
      secret: string
      uri: string
    }
    expect(enrolment.uri).toStartWith("otpauth://totp/StreamSpace:totty?")
    const totp = new TOTP({ secret: Secret.fromBase32(enrolment.secret), digits: 6, period: 30 })
    const at = Date.now()
    const verify = await core.post("/api/v1/auth/totp/verify", { totp: totp.generate({ timestamp: at }) }, { token })
    const { recoveryCodes } = (await verify.json()) as { recoveryCodes: string[] }
    expect(recoveryCodes).toHaveLength(10)
    expect(await (await core.get("/api/v1/auth/status", { token })).json()).toEqual({
      passwordSet: true,
      totpEnabled: true,
      recoveryCodesLeft: 10,
      passwordMinLength: 10,
    })

    const mfa = await expectProblem(await signIn("totty", PASSWORD), 401, "MFA_REQUIRED")
    expect(mfa.detail).toContain("authenticator")
    await expectProblem(await signIn("totty", PASSWORD, { totp: "000000" }), 401, "TOTP_INVALID")
    await signedIn("totty", PASSWORD, { totp: totp.generate({ timestamp: at + 30_000 }) })
    const recovery = recoveryCodes[0] as string
    await signedIn("totty", PASSWORD, { recoveryCode: recovery })
    await expectProblem(await signIn("totty", PASSWORD, { recoveryCode: recovery }), 401, "RECOVERY_CODE_INVALID")

    // On the caller's own account routes a wrong code is 403: a 401 would tell the portal its sign-in
    // ended, and it would refresh and send the same guess again.
    const wrong = totp.generate({ timestamp: at + 10 * 60_000 })
    await expectProblem(await core.post("/api/v1/auth/recovery-codes", { totp: wrong }, { token }), 403, "TOTP_INVALID")
    await expectProblem(await core.post("/api/v1/auth/totp/disable", { totp: wrong }, { token }), 403, "TOTP_INVALID")
    await expectProblem(
      await core.post("/api/v1/auth/totp/disable", { recoveryCode: "not-a-code-0000" }, { token }),
      403,
      "RECOVERY_CODE_INVALID",
    )
  })

  test("the TOTP routes need a signed-in user", async () => {
    expect((await core.post("/api/v1/auth/totp/enrol", undefined)).status).toBe(401)
  })
})

test("without an auth plugin the sign-in routes answer 503, not 500", async () => {
  const policy = core.deps.authPolicy
  core.deps.authPolicy = undefined
  try {
    await expectProblem(await signIn("admin", PASSWORD), 503, "AUTH_PLUGIN_MISSING")
  } finally {
    core.deps.authPolicy = policy
  }
})
