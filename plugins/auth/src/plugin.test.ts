// The auth plugin's policy in the real runtime (Node + isolated-vm) against the SDK's in-memory host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { join } from "node:path"
import type { HookInput, HookName, HookOutput, PluginManifest, User } from "@streamspace/schemas"
import { type PluginHarness, startPluginHarness } from "@streamspace/sdk/plugin/testing"
import { Secret, TOTP } from "otpauth"
import manifestJson from "../manifest.json"

const manifest = manifestJson as PluginManifest
const entry = join(import.meta.dir, "plugin.ts")
const client = { ip: "192.0.2.7", userAgent: "bun:test" }
const PASSWORD = "correct horse battery"

const user = (n: number, username: string, role: User["role"] = "user"): User => ({
  id: `0b7c2a8e-4f51-4d3a-9c8e-${String(n).padStart(12, "0")}`,
  username,
  email: `${username}@example.com`,
  displayName: username,
  role,
  disabled: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  lastSignInAt: null,
})
const hookUser = (u: User) => ({ id: u.id, username: u.username, role: u.role })

const ask = async <H extends HookName>(plugin: PluginHarness, hook: H, input: HookInput<H>): Promise<HookOutput<H>> => {
  const outcome = await plugin.hook(hook, input)
  expect(outcome.decidedBy).toBe("plugin")
  return outcome.output
}

/** What an authenticator app shows for a secret at `at` (`ahead` steps later). */
const codeFor = (secret: string, ahead = 0, at = Date.now()) =>
  new TOTP({ secret: Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: at + ahead * 30_000 })

describe("password sign-in, lockout and refresh", () => {
  const alice = user(1, "alice")
  let plugin: PluginHarness
  beforeAll(async () => {
    plugin = await startPluginHarness({
      manifest,
      entry,
      config: { lockout: { maxFailures: 3, windowSeconds: 60, lockoutSeconds: 60 } },
      data: { users: [alice, user(2, "mallory")] },
    })
    expect(plugin.status().state).toBe("running")
  })
  afterAll(() => plugin.stop())

  const signIn = (username: string, password: string, ip = client.ip) =>
    ask(plugin, "auth.signIn", { username, password, client: { ...client, ip } })

  test("setup refuses a weak password, naming the field, then sets a good one", async () => {
    expect(await ask(plugin, "auth.setup", { user: hookUser(alice), password: "short" })).toMatchObject({
      outcome: "deny",
      code: "WEAK_PASSWORD",
      field: "password",
    })
    expect(await ask(plugin, "auth.setup", { user: hookUser(alice), password: PASSWORD })).toEqual({ outcome: "ok" })
  })

  test("the right password signs in (by username or email) and a wrong one is refused", async () => {
    expect(await signIn("alice", PASSWORD)).toMatchObject({ outcome: "allow", userId: alice.id })
    expect(await signIn("ALICE@example.com", PASSWORD)).toMatchObject({ outcome: "allow", userId: alice.id })
    expect(await signIn("alice", "wrong password!")).toMatchObject({ outcome: "deny", code: "INVALID_CREDENTIALS" })
  })

  test("names that cannot be a user are refused like a wrong password, without stopping the plugin", async () => {
    for (const name of ["No Such User", "x", "@", "a@b", "ünïcode"])
      expect(await signIn(name, PASSWORD, "192.0.2.50")).toMatchObject({ outcome: "deny" })
    expect(plugin.status().state).toBe("running")
  })

  test("the account locks after the configured failures, even for the right password", async () => {
    await signIn("mallory", "guess 1", "192.0.2.8")
    await signIn("mallory", "guess 2", "192.0.2.8")
    const third = await signIn("mallory", "guess 3", "192.0.2.8")
    expect(third).toMatchObject({ outcome: "deny", code: "ACCOUNT_LOCKED" })
    expect((third as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThan(50)
    await ask(plugin, "auth.setup", { user: hookUser(user(2, "mallory")), password: PASSWORD })
    // setup cleared the count (a new password), so lock it again and then try the right password
    for (const guess of ["a", "b", "c"]) await signIn("mallory", `wrong ${guess}`, "192.0.2.8")
    expect(await signIn("mallory", PASSWORD, "192.0.2.9")).toMatchObject({ outcome: "deny", code: "ACCOUNT_LOCKED" })
  })

  test("refresh rotates the token; replaying an old one revokes the whole sign-in", async () => {
    const first = await signIn("alice", PASSWORD)
    if (first.outcome !== "allow") throw new Error("sign-in failed")
    const second = await ask(plugin, "auth.refresh", { refreshToken: first.signIn.refreshToken, client })
    if (second.outcome !== "allow") throw new Error("refresh failed")
    expect(second.signIn.id).toBe(first.signIn.id)
    expect(second.signIn.refreshToken).not.toBe(first.signIn.refreshToken)

    expect(await ask(plugin, "auth.refresh", { refreshToken: first.signIn.refreshToken, client })).toMatchObject({
      outcome: "deny",
      code: "REFRESH_REUSED",
    })
    expect(await ask(plugin, "auth.refresh", { refreshToken: second.signIn.refreshToken, client })).toMatchObject({
      outcome: "deny",
      code: "REFRESH_INVALID",
    })
  })

  test("a forged token is refused without revoking the sign-in it names", async () => {
    const granted = await signIn("alice", PASSWORD)
    if (granted.outcome !== "allow") throw new Error("sign-in failed")
    const forged = `ssr_${granted.signIn.id}.1.${"A".repeat(43)}`
    expect(await ask(plugin, "auth.refresh", { refreshToken: forged, client })).toMatchObject({ code: "REFRESH_INVALID" })
    expect(await ask(plugin, "auth.refresh", { refreshToken: granted.signIn.refreshToken, client })).toMatchObject({
      outcome: "allow",
    })
  })

  test("sign-ins are listed, one is revoked, sign-out ends another", async () => {
    const a = await signIn("alice", PASSWORD)
    const b = await signIn("alice", PASSWORD)
    if (a.outcome !== "allow" || b.outcome !== "allow") throw new Error("sign-in failed")
    const listed = await ask(plugin, "auth.signIns.list", { user: hookUser(alice) })
    if (listed.outcome !== "ok") throw new Error("list failed")
    expect(listed.signIns.map((s) => s.id)).toContain(a.signIn.id)
    expect(listed.signIns[0]).toMatchObject({ method: "password", ip: client.ip, userAgent: "bun:test" })

    expect(await ask(plugin, "auth.signIns.revoke", { user: hookUser(alice), signInId: a.signIn.id })).toEqual({
      outcome: "ok",
      revoked: 1,
    })
    expect(await ask(plugin, "auth.signOut", { refreshToken: b.signIn.refreshToken })).toEqual({
      outcome: "ok",
      userId: alice.id,
      signInId: b.signIn.id,
    })
    for (const gone of [a, b])
      expect(await ask(plugin, "auth.refresh", { refreshToken: gone.signIn.refreshToken, client })).toMatchObject({
        code: "REFRESH_INVALID",
      })
    expect(await ask(plugin, "auth.signOut", { refreshToken: "nonsense" })).toEqual({ outcome: "ok" })
  })
})

describe("TOTP, recovery codes and invitations", () => {
  const bob = user(3, "bob")
  let plugin: PluginHarness
  beforeAll(async () => {
    plugin = await startPluginHarness({ manifest, entry, config: { invitation: { ttlSeconds: 1 } }, data: { users: [bob] } })
  })
  afterAll(() => plugin.stop())

  test("an invitation sets the password once; the link then fails, and an expired one never works", async () => {
    const invited = await ask(plugin, "auth.invitation.create", { user: hookUser(bob), invitedBy: hookUser(bob) })
    if (invited.outcome !== "ok") throw new Error("invite failed")
    const accept = (token: string) => ask(plugin, "auth.invitation.accept", { token, password: PASSWORD })
    expect(await ask(plugin, "auth.invitation.accept", { token: invited.token, password: "bob" })).toMatchObject({
      code: "WEAK_PASSWORD",
    })
    expect(await accept(invited.token)).toEqual({ outcome: "ok", userId: bob.id })
    expect(await accept(invited.token)).toMatchObject({ outcome: "deny", code: "INVITATION_INVALID", field: "token" })

    const late = await ask(plugin, "auth.invitation.create", { user: hookUser(bob), invitedBy: hookUser(bob) })
    if (late.outcome !== "ok") throw new Error("invite failed")
    await Bun.sleep(1100)
    expect(await accept(late.token)).toMatchObject({ code: "INVITATION_INVALID" })
  })

  test("enrolment gives an otpauth URI; sign-in then needs a code, once, or a recovery code, once", async () => {
    const enrolled = await ask(plugin, "auth.totp.enrol", { user: hookUser(bob) })
    if (enrolled.outcome !== "ok") throw new Error("enrol failed")
    expect(enrolled.uri).toStartWith("otpauth://totp/StreamSpace:bob?")
    expect(await ask(plugin, "auth.totp.verify", { user: hookUser(bob), totp: "000000" })).toMatchObject({
      code: "TOTP_INVALID",
    })
    const t = Date.now()
    const firstCode = codeFor(enrolled.secret, 0, t)
    const verified = await ask(plugin, "auth.totp.verify", { user: hookUser(bob), totp: firstCode })
    if (verified.outcome !== "ok") throw new Error("verify failed")
    expect(verified.recoveryCodes).toHaveLength(10)
    expect(verified.recoveryCodes[0]).toMatch(/^[a-z2-9]{5}-[a-z2-9]{5}$/)

    const base = { username: "bob", password: PASSWORD, client }
    expect(await ask(plugin, "auth.signIn", base)).toMatchObject({ outcome: "mfa_required" })
    // a code works once: the one used to verify is refused, the next step's is accepted
    expect(await ask(plugin, "auth.signIn", { ...base, totp: firstCode })).toMatchObject({ code: "TOTP_INVALID" })
    expect(await ask(plugin, "auth.signIn", { ...base, totp: codeFor(enrolled.secret, 1, t) })).toMatchObject({
      outcome: "allow",
    })
    const recovery = verified.recoveryCodes[3] as string
    expect(await ask(plugin, "auth.signIn", { ...base, recoveryCode: recovery.toUpperCase() })).toMatchObject({
      outcome: "allow",
    })
    expect(await ask(plugin, "auth.signIn", { ...base, recoveryCode: recovery })).toMatchObject({
      code: "RECOVERY_CODE_INVALID",
    })
    expect(await ask(plugin, "auth.status", { user: hookUser(bob) })).toEqual({
      outcome: "ok",
      passwordSet: true,
      totpEnabled: true,
      recoveryCodesLeft: 9,
      passwordMinLength: 10,
    })
    expect(await ask(plugin, "auth.totp.disable", { user: hookUser(bob), recoveryCode: verified.recoveryCodes[0] })).toEqual({
      outcome: "ok",
    })
    expect(await ask(plugin, "auth.signIn", base)).toMatchObject({ outcome: "allow" })
  })
})

describe("OIDC policy", () => {
  const carol = user(4, "carol", "admin")
  let plugin: PluginHarness
  beforeAll(async () => {
    plugin = await startPluginHarness({
      manifest,
      entry,
      config: { oidc: { roleMapping: { admin: ["ss-admins"], operator: ["ss-ops"] }, allowedGroups: ["staff"] } },
      data: { users: [carol] },
    })
  })
  afterAll(() => plugin.stop())

  const profile = (subject: string, extra: Partial<HookInput<"auth.oidcProfile">["profile"]> = {}) => ({
    issuer: "http://127.0.0.1:9/",
    subject,
    groups: ["staff"],
    ...extra,
  })

  test("an unknown identity is provisioned with the role its groups map to, then found again by subject", async () => {
    const first = await ask(plugin, "auth.oidcProfile", {
      profile: profile("sub-1", {
        preferredUsername: "Dave Smith",
        email: "dave@example.com",
        emailVerified: true,
        groups: ["staff", "ss-ops"],
      }),
      client,
    })
    if (first.outcome !== "allow") throw new Error(`oidc sign-in failed: ${JSON.stringify(first)}`)
    const dave = plugin.host.usersById.get(first.userId)
    expect(dave).toMatchObject({ username: "dave-smith", email: "dave@example.com", role: "operator" })

    const again = await ask(plugin, "auth.oidcProfile", { profile: profile("sub-1", { groups: ["staff"] }), client })
    expect(again).toMatchObject({ outcome: "allow", userId: first.userId })
    expect(plugin.host.usersById.get(first.userId)?.role).toBe("user")
  })

  test("a verified email links an existing user; an unverified one does not", async () => {
    const linked = await ask(plugin, "auth.oidcProfile", {
      profile: profile("sub-2", { email: "carol@example.com", emailVerified: true, groups: ["staff", "ss-admins"] }),
      client,
    })
    expect(linked).toMatchObject({ outcome: "allow", userId: carol.id })
    const other = await ask(plugin, "auth.oidcProfile", {
      profile: profile("sub-3", { email: "carol@example.com", emailVerified: false, preferredUsername: "carol" }),
      client,
    })
    if (other.outcome !== "allow") throw new Error("oidc sign-in failed")
    expect(other.userId).not.toBe(carol.id)
    expect(plugin.host.usersById.get(other.userId)).toMatchObject({ username: "carol-2", email: null })
  })

  test("an identity outside the allowed groups is refused", async () => {
    expect(
      await ask(plugin, "auth.oidcProfile", { profile: profile("sub-4", { groups: ["contractors"] }), client }),
    ).toMatchObject({
      outcome: "deny",
      code: "OIDC_GROUP_REQUIRED",
    })
  })
})

test("without the users: write grant, provisioning is refused by the host and the plugin denies instead of crashing", async () => {
  await using plugin = await startPluginHarness({ manifest, entry, granted: { ...manifest.permissions, users: "read" } })
  const outcome = await ask(plugin, "auth.oidcProfile", {
    profile: { issuer: "http://127.0.0.1:9/", subject: "s", groups: [] },
    client,
  })
  expect(outcome).toMatchObject({ outcome: "deny", code: "AUTH_UNAVAILABLE" })
  expect(plugin.status().state).toBe("running")
  expect(plugin.host.logs.at(-1)).toMatchObject({ level: "error", fields: { code: "HOST_PERMISSION_DENIED" } })
})
