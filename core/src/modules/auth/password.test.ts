// Changing your own password over HTTP: a listening core, the real plugin runtime and the first-party auth plugin.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { TokenResponse } from "@streamspace/schemas"
import { Secret, TOTP } from "otpauth"
import { ensureFirstAdmin } from "../../bootstrap.ts"
import { type AuthTestCore, startAuthCore } from "./auth-test-core.ts"

const OLD = "correct horse battery"
const NEW = "purple monkey dishwasher"
let core: AuthTestCore

beforeAll(async () => {
  core = await startAuthCore({ lockout: { maxFailures: 3, windowSeconds: 300, lockoutSeconds: 300 } })
  const setup = await ensureFirstAdmin(core.deps.sql, "admin")
  if (setup === null) throw new Error("no setup token was issued")
  expect((await core.post("/api/v1/auth/setup", { token: setup.token, password: OLD })).status).toBe(200)
  core.adminToken = (await signedIn("admin")).accessToken
}, 60_000)
afterAll(() => core.close())

interface Problem {
  code: string
  detail: string
  errors?: { field: string; message: string }[]
}

const expectProblem = async (response: Response, status: number, code: string) => {
  const body = (await response.json()) as Problem
  expect({ status: response.status, code: body.code }).toEqual({ status, code })
  expect(response.headers.get("content-type")).toStartWith("application/problem+json")
  return body
}

const signIn = (username: string, password: string, extra: Record<string, string> = {}) =>
  core.post("/api/v1/auth/sign-in", { username, password, ...extra })

async function signedIn(username: string, password = OLD, extra: Record<string, string> = {}) {
  const response = await signIn(username, password, extra)
  expect(response.status).toBe(200)
  return (await response.json()) as TokenResponse
}

/** An admin-created user who set `OLD` as their password through an invitation. */
async function invitedUser(username: string): Promise<{ id: string }> {
  const created = await core.post("/api/v1/users", { username }, { token: core.adminToken })
  const user = (await created.json()) as { id: string }
  const invite = await core.post("/api/v1/auth/invitations", { userId: user.id }, { token: core.adminToken })
  const { token } = (await invite.json()) as { token: string }
  expect((await core.post("/api/v1/auth/invitations/accept", { token, password: OLD })).status).toBe(200)
  return user
}

const change = (token: string, body: Record<string, unknown>, requestId?: string) =>
  core.raw("/api/v1/auth/password", {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${token}`,
      ...(requestId ? { "x-request-id": requestId } : {}),
    },
    body: JSON.stringify(body),
  })

const refresh = (tokens: TokenResponse) => core.post("/api/v1/auth/refresh", { refreshToken: tokens.refreshToken })

describe("changing your own password", () => {
  test("the new password replaces the old one, other sign-ins end, this one stays, and it is audited", async () => {
    const user = await invitedUser("pat")
    const laptop = await signedIn("pat")
    const phone = await signedIn("pat")
    const tablet = await signedIn("pat")

    const requestId = `pw-change-${Date.now()}`
    const changed = await change(laptop.accessToken, { currentPassword: OLD, newPassword: NEW }, requestId)
    expect(changed.status).toBe(200)
    expect(await changed.json()).toEqual({ revoked: 2 })

    await expectProblem(await signIn("pat", OLD), 401, "INVALID_CREDENTIALS")
    await signedIn("pat", NEW)
    await expectProblem(await refresh(phone), 401, "REFRESH_INVALID")
    await expectProblem(await refresh(tablet), 401, "REFRESH_INVALID")
    // The ended sign-ins' access tokens stop at once too; this one's keeps working.
    await expectProblem(await core.get("/api/v1/auth/status", { token: phone.accessToken }), 401, "UNAUTHENTICATED")
    expect((await core.get("/api/v1/auth/status", { token: laptop.accessToken })).status).toBe(200)
    const kept = await refresh(laptop)
    expect(kept.status).toBe(200)
    expect(((await kept.json()) as TokenResponse).signInId).toBe(laptop.signInId)

    await core.auditSettled()
    const rows = await core.deps.sql`select action, outcome, status, actor_name, target_type, target_id, detail
      from audit_events where request_id = ${requestId}`
    expect(rows.map((r) => ({ ...r }))).toEqual([
      {
        action: "auth.password.change",
        outcome: "success",
        status: 200,
        actorName: "pat",
        targetType: "user",
        targetId: user.id,
        detail: {},
      },
    ])
  })

  test("a wrong current password is refused with 403 naming the field, and the password stays", async () => {
    await invitedUser("wren")
    const { accessToken } = await signedIn("wren")
    const requestId = `pw-wrong-${Date.now()}`
    const wrong = await expectProblem(
      await change(accessToken, { currentPassword: "not my password", newPassword: NEW }, requestId),
      403,
      "CURRENT_PASSWORD_INVALID",
    )
    expect(wrong.errors?.[0]?.field).toBe("/currentPassword")
    await signedIn("wren", OLD)
    await expectProblem(await signIn("wren", NEW), 401, "INVALID_CREDENTIALS")

    await core.auditSettled()
    const rows = await core.deps.sql`select action, outcome, status, detail from audit_events where request_id = ${requestId}`
    expect(rows.map((r) => ({ ...r }))).toEqual([{ action: "auth.password.change", outcome: "failure", status: 403, detail: {} }])
    expect(JSON.stringify(rows)).not.toContain("not my password")
  })

  test("the new password must meet the password policy and differ from the current one", async () => {
    await invitedUser("vale")
    const { accessToken } = await signedIn("vale")
    const weak = await expectProblem(
      await change(accessToken, { currentPassword: OLD, newPassword: "short" }),
      422,
      "WEAK_PASSWORD",
    )
    expect(weak.errors?.[0]?.field).toBe("/newPassword")
    expect(weak.detail).toContain("at least 10 characters")
    const named = await expectProblem(
      await change(accessToken, { currentPassword: OLD, newPassword: "vale-is-my-name-1" }),
      422,
      "WEAK_PASSWORD",
    )
    expect(named.detail).toContain("username")
    const same = await expectProblem(
      await change(accessToken, { currentPassword: OLD, newPassword: OLD }),
      422,
      "PASSWORD_UNCHANGED",
    )
    expect(same.errors?.[0]?.field).toBe("/newPassword")
    await signedIn("vale", OLD)
  })

  test("missing or malformed fields are 422 naming the field, never 500", async () => {
    await invitedUser("mona")
    const { accessToken } = await signedIn("mona")
    const cases: [Record<string, unknown>, string][] = [
      [{ currentPassword: OLD }, "/newPassword"],
      [{ newPassword: NEW }, "/currentPassword"],
      [{ currentPassword: OLD, newPassword: "" }, "/newPassword"],
      [{ currentPassword: OLD, newPassword: NEW, totp: "12ab56" }, "/totp"],
    ]
    for (const [body, field] of cases) {
      const problem = (await (await change(accessToken, body)).json()) as Problem & { status: number }
      expect({ status: problem.status, field: problem.errors?.[0]?.field }).toEqual({ status: 422, field })
    }
  })

  test("an anonymous caller gets 401", async () => {
    const anonymous = await core.post("/api/v1/auth/password", { currentPassword: OLD, newPassword: NEW })
    expect(anonymous.status).toBe(401)
  })

  test("wrong current passwords count toward the sign-in lockout: the account locks, even the right one is refused", async () => {
    await invitedUser("gus")
    const { accessToken } = await signedIn("gus")
    const guess = (currentPassword: string) => change(accessToken, { currentPassword, newPassword: NEW })
    await expectProblem(await guess("guess one"), 403, "CURRENT_PASSWORD_INVALID")
    await expectProblem(await guess("guess two"), 403, "CURRENT_PASSWORD_INVALID")
    const locked = await guess("guess three")
    expect(Number(locked.headers.get("retry-after"))).toBeGreaterThan(200)
    await expectProblem(locked, 429, "ACCOUNT_LOCKED")
    await expectProblem(await guess(OLD), 429, "ACCOUNT_LOCKED")
    await expectProblem(await signIn("gus", OLD), 429, "ACCOUNT_LOCKED")
  })

  test("a failed sign-in and a wrong current password share one count, and a change starts it again", async () => {
    await invitedUser("ida")
    const { accessToken } = await signedIn("ida")
    await expectProblem(await signIn("ida", "guess one"), 401, "INVALID_CREDENTIALS")
    await expectProblem(
      await change(accessToken, { currentPassword: "guess two", newPassword: NEW }),
      403,
      "CURRENT_PASSWORD_INVALID",
    )
    expect((await change(accessToken, { currentPassword: OLD, newPassword: NEW })).status).toBe(200)
    // Two failures were on record; had they not been cleared, these two would lock the account.
    await expectProblem(await signIn("ida", "guess three"), 401, "INVALID_CREDENTIALS")
    await expectProblem(await signIn("ida", "guess four"), 401, "INVALID_CREDENTIALS")
    await signedIn("ida", NEW)
  })
})

describe("changing your password with two-factor on", () => {
  test("a code from the app or a recovery code is required; a wrong one is 403, not 401", async () => {
    await invitedUser("tess")
    const { accessToken: token } = await signedIn("tess")
    const enrolment = (await (await core.post("/api/v1/auth/totp/enrol", undefined, { token })).json()) as { secret: string }
    const totp = new TOTP({ secret: Secret.fromBase32(enrolment.secret), digits: 6, period: 30 })
    const at = Date.now()
    const verified = await core.post("/api/v1/auth/totp/verify", { totp: totp.generate({ timestamp: at }) }, { token })
    const { recoveryCodes } = (await verified.json()) as { recoveryCodes: string[] }

    const missing = await expectProblem(await change(token, { currentPassword: OLD, newPassword: NEW }), 422, "TOTP_REQUIRED")
    expect(missing.errors?.[0]?.field).toBe("/totp")
    // 403, not 401: a 401 would make the portal refresh its sign-in and send the same guess again.
    await expectProblem(await change(token, { currentPassword: OLD, newPassword: NEW, totp: "000000" }), 403, "TOTP_INVALID")
    await expectProblem(
      await change(token, { currentPassword: OLD, newPassword: NEW, recoveryCode: "nope-nope-nope" }),
      403,
      "RECOVERY_CODE_INVALID",
    )

    const withCode = await change(token, {
      currentPassword: OLD,
      newPassword: NEW,
      totp: totp.generate({ timestamp: at + 30_000 }),
    })
    expect(withCode.status).toBe(200)
    const third = "a third secret phrase"
    const withRecovery = await change(token, { currentPassword: NEW, newPassword: third, recoveryCode: recoveryCodes[0] })
    expect(withRecovery.status).toBe(200)
    await signedIn("tess", third, { recoveryCode: recoveryCodes[1] as string })
  })
})
