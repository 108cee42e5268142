// The first-party auth plugin: the core asks it at sign-in and refresh; it never sees the core's signing keys.
import type { AuthDenied } from "@streamspace/schemas"
import { definePlugin } from "@streamspace/sdk/plugin"
import { acceptInvitation, invite, setup } from "./accounts.ts"
import { oidcSignIn } from "./oidc.ts"
import { guarded } from "./outcomes.ts"
import { changePassword } from "./password-change.ts"
import { hasPassword } from "./passwords.ts"
import { settings } from "./settings.ts"
import { signIn } from "./sign-in.ts"
import { listSignIns, revokeSignIns, rotate, signOut } from "./sign-ins.ts"
import { confirm, disable, enrol, recoveryCodesLeft, regenerateRecoveryCodes, totpEnabled } from "./totp.ts"

/** A helper's answer is either a denial or the success fields; the hook adds `outcome: "ok"` to the latter. */
const okOr = <T extends object>(answer: T | AuthDenied): ({ outcome: "ok" } & T) | AuthDenied =>
  "outcome" in answer && answer.outcome === "deny" ? answer : { outcome: "ok", ...(answer as T) }

export default definePlugin({
  hooks: {
    "auth.setup": guarded("auth.setup", async ({ user, password }) => (await setup(user, password)) ?? { outcome: "ok" }),
    "auth.signIn": guarded("auth.signIn", signIn),
    "auth.refresh": guarded("auth.refresh", ({ refreshToken, client }) => rotate(refreshToken, client)),
    "auth.signOut": guarded("auth.signOut", async ({ refreshToken }) => ({
      outcome: "ok",
      ...(await signOut(refreshToken)),
    })),
    "auth.invitation.create": guarded("auth.invitation.create", async ({ user }) => okOr(await invite(user))),
    "auth.invitation.accept": guarded("auth.invitation.accept", async ({ token, password }) =>
      okOr(await acceptInvitation(token, password)),
    ),
    "auth.totp.enrol": guarded("auth.totp.enrol", async ({ user }) => okOr(await enrol(user.id, user.username))),
    "auth.totp.verify": guarded("auth.totp.verify", async ({ user, totp }) => okOr(await confirm(user.id, user.username, totp))),
    "auth.totp.disable": guarded(
      "auth.totp.disable",
      async ({ user, ...factor }) => (await disable(user.id, user.username, factor)) ?? { outcome: "ok" },
    ),
    "auth.recoveryCodes": guarded("auth.recoveryCodes", async ({ user, totp }) =>
      okOr(await regenerateRecoveryCodes(user.id, user.username, totp)),
    ),
    "auth.status": guarded("auth.status", async ({ user }) => ({
      outcome: "ok",
      passwordSet: await hasPassword(user.id),
      totpEnabled: await totpEnabled(user.id),
      recoveryCodesLeft: await recoveryCodesLeft(user.id),
      passwordMinLength: settings.password.minLength,
    })),
    "auth.oidcProfile": guarded("auth.oidcProfile", ({ profile, client }) => oidcSignIn(profile, client)),
    "auth.signIns.list": guarded("auth.signIns.list", async ({ user }) => ({
      outcome: "ok",
      signIns: await listSignIns(user.id),
    })),
    "auth.signIns.revoke": guarded("auth.signIns.revoke", async ({ user, signInId }) => ({
      outcome: "ok",
      revoked: await revokeSignIns(user.id, signInId),
    })),
    "auth.password.change": guarded("auth.password.change", async (change) => okOr(await changePassword(change))),
  },
})
