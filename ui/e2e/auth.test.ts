// Sign-in end to end: Debian's Chromium against the control plane started as on a first run (a new
// PGlite database, the auth plugin installed from the marketplace, the setup token in the log) and a
// real OIDC provider on loopback. Setup → admin → invitation → password → TOTP → sign-ins → OIDC.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { readFileSync } from "node:fs"
import type { Locator, Page } from "playwright-core"
import { startOidcProvider, type TestOidcProvider } from "../../core/src/modules/auth/test-oidc-provider.ts"
import { authenticator, eventually, freePort, setupTokenIn } from "./auth-helpers.ts"
import { type Browser, openBrowser } from "./browser.ts"
import { type ControlPlane, ensurePluginsBuilt, ensurePortalBuilt, startControlPlane } from "./control-plane.ts"

let core: ControlPlane
let provider: TestOidcProvider
let browser: Browser
let page: Page

// Generous: the machine runs several suites at once.
const T = 45_000
setDefaultTimeout(120_000)
const ADMIN_PASSWORD = "correct horse battery staple"
const GRACE_PASSWORD = "hopper-1906-cobol-navy"
const GRACE_NEW_PASSWORD = "mark-1-harvard-1944"
const visible = (l: Locator) => l.first().waitFor({ state: "visible", timeout: T })
const byTest = (id: string) => page.locator(`[data-test="${id}"]`)
const noDialog = () => page.waitForFunction(() => document.querySelectorAll(".v-dialog .v-overlay__content").length === 0)
const problemText = async () => (await byTest("problem").first().textContent()) ?? ""
/**
 * Vuetify focuses an autofocus field a moment after it shows (the browser's autofocus may come
 * first): typing into another field then can end up in the autofocus one. Wait for the focus, then
 * fill and read back every field until all hold what was typed.
 */
const focusSettled = (id: string) =>
  page.waitForFunction((testId) => document.activeElement?.closest(`[data-test="${testId}"]`) != null, id, { timeout: T })
async function fillAll(fields: Record<string, string>) {
  const selector = (id: string) => `[data-test="${id}"] input`
  for (let attempt = 0; attempt < 5; attempt++) {
    for (const [id, value] of Object.entries(fields)) await page.fill(selector(id), value)
    const values = await Promise.all(Object.keys(fields).map((id) => page.inputValue(selector(id))))
    if (values.every((v, i) => v === Object.values(fields)[i])) return
  }
  throw new Error(`the form did not keep the values typed into ${Object.keys(fields).join(", ")}`)
}

async function signOut() {
  await byTest("user-menu").click()
  await byTest("sign-out").click()
  await page.waitForURL(/\/sign-in$/)
  await focusSettled("username")
}

async function signIn(username: string, password: string) {
  await fillAll({ username, password })
  await byTest("password-sign-in").click()
}

beforeAll(async () => {
  ensurePortalBuilt()
  ensurePluginsBuilt()
  const port = freePort()
  const callback = `http://127.0.0.1:${port}/api/v1/auth/oidc/callback`
  provider = await startOidcProvider(callback)
  provider.accounts.set("sub-linus", {
    email: "linus@example.test",
    emailVerified: true,
    name: "Linus Example",
    preferredUsername: "linus",
    groups: ["staff"],
  })
  core = await startControlPlane({
    seed: false,
    port,
    env: {
      // The shortest lifetime the control plane allows: the portal must refresh while the test runs.
      ACCESS_TOKEN_TTL_SECONDS: "30",
      OIDC_ISSUER: provider.issuer,
      OIDC_CLIENT_ID: provider.clientId,
      OIDC_CLIENT_SECRET: provider.clientSecret,
      OIDC_REDIRECT_URI: callback,
      OIDC_SCOPES: "openid email profile groups",
      OIDC_NAME: "Test IdP",
      OIDC_ALLOW_INSECURE: "true",
    },
  })
  browser = await openBrowser(core.url)
  page = browser.page
}, 240_000)

afterAll(async () => {
  await browser?.close()
  await core?.stop()
  await provider?.close()
})

describe("signing in to the portal", () => {
  test("first run: the setup page takes the token from the log and the admin's password, then signs the admin in", async () => {
    const token = await eventually(() => setupTokenIn(core.output()), "the setup token in the log")
    await page.goto("/catalog")
    await page.waitForURL(/\/sign-in/)
    await visible(byTest("setup-required"))
    await byTest("setup-required").getByRole("link", { name: "Set up" }).click()
    await page.waitForURL(/\/setup$/)
    await focusSettled("setup-token")

    await fillAll({ "setup-token": "sst_wrong", "new-password": ADMIN_PASSWORD, "confirm-password": ADMIN_PASSWORD })
    await byTest("set-password").click()
    await visible(page.locator('[data-test="setup-token"] .v-messages__message', { hasText: "setup token is wrong" }))
    await browser.shot("auth-01-setup-wrong-token")

    // A refused password must not spend the token.
    await fillAll({ "setup-token": token, "new-password": "short", "confirm-password": "shorter" })
    await byTest("set-password").click()
    await visible(page.locator('[data-test="confirm-password"] .v-messages__message', { hasText: "differ" }))
    await page.fill('[data-test="confirm-password"] input', "short")
    await byTest("set-password").click()
    await visible(byTest("problem"))
    expect(await problemText()).toMatch(/at least 10/i)

    await fillAll({ "new-password": ADMIN_PASSWORD, "confirm-password": ADMIN_PASSWORD })
    await byTest("set-password").click()
    await page.waitForURL(/\/admin$/)
    await visible(byTest("user-menu"))
    expect(await byTest("user-menu").textContent()).toContain("Administrator")
    await browser.shot("auth-02-admin-dashboard")
  })

  test("a reload keeps the sign-in, and the short-lived access token is refreshed before it expires", async () => {
    await page.reload()
    await visible(byTest("user-menu"))
    expect(page.url()).toEndWith("/admin")
    // The access token lives 30 s; the portal refreshes it a few seconds before, unasked.
    const refreshed = await page.waitForResponse((r) => r.url().endsWith("/api/v1/auth/refresh"), { timeout: 60_000 })
    expect(refreshed.status()).toBe(200)
    await page.click('a[href="/admin/users"]')
    await visible(byTest("user-admin"))
  })

  test("the admin tightens the sign-in plugin's lockout through the form built from its config schema", async () => {
    await page.goto("/admin/plugins")
    await visible(byTest("plugin-streamspace.auth"))
    await byTest("configure-streamspace.auth").click()
    await visible(byTest("config-lockout"))
    await page.fill('[data-test="config-lockout"] textarea', '{ "maxFailures": 0 }')
    await byTest("plugin-save").click()
    await visible(page.locator('[data-test="config-lockout"] .v-messages__message', { hasText: "maxFailures" }))
    await page.fill('[data-test="config-lockout"] textarea', '{ "maxFailures": 3, "windowSeconds": 900, "lockoutSeconds": 900 }')
    await browser.shot("auth-03-auth-plugin-config")
    await byTest("plugin-save").click()
    await noDialog()
    await byTest("configure-streamspace.auth").click()
    await visible(byTest("config-lockout"))
    expect(await page.inputValue('[data-test="config-lockout"] textarea')).toContain('"maxFailures": 3')
    await page.keyboard.press("Escape")
    await noDialog()
  })

  test("the admin creates a user and gets an invitation link to copy", async () => {
    await page.goto("/admin/users")
    await byTest("new-user").click()
    await page.fill('[data-test="user-username"] input', "grace")
    await byTest("user-create").click()
    await noDialog()
    await visible(byTest("invitation"))
    const link = await page.inputValue('[data-test="invitation-url"] input')
    expect(link).toStartWith(`${core.url}/invitation#token=`)
    await byTest("copy-invitation").click()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(link)
    await browser.shot("auth-04-invitation-link")
    await signOut()

    await page.goto(link)
    await focusSettled("new-password")
    // The token left the address bar once the page read it.
    expect(page.url()).toBe(`${core.url}/invitation`)
    await fillAll({ "new-password": GRACE_PASSWORD, "confirm-password": GRACE_PASSWORD })
    await browser.shot("auth-05-invitation")
    await byTest("set-password").click()
    await page.waitForURL(/\/catalog$/)
    expect(await byTest("user-menu").textContent()).toContain("grace")

    // The link works once.
    await page.goto(link)
    await focusSettled("new-password")
    await fillAll({ "new-password": "another-password-123", "confirm-password": "another-password-123" })
    await byTest("set-password").click()
    await visible(byTest("invitation-invalid"))
  })

  test("the invited user signs in with the keyboard alone; a wrong password is refused readably", async () => {
    await page.goto("/catalog")
    await signOut()
    await signIn("grace", "not-her-password")
    await visible(byTest("problem"))
    expect(await problemText()).toContain("Could not sign in")

    await page.fill('[data-test="username"] input', "")
    await page.focus('[data-test="username"] input')
    await page.keyboard.type("grace")
    await page.keyboard.press("Tab")
    await page.keyboard.type(GRACE_PASSWORD)
    await page.keyboard.press("Enter")
    await page.waitForURL(/\/catalog$/)
  })

  let nextCode: () => Promise<string>
  let recoveryCodes: string[] = []

  test("two-factor: enrolment shows a QR code, a first code turns it on, and the recovery codes are shown once", async () => {
    await byTest("user-menu").click()
    await byTest("account-link").click()
    await page.waitForURL(/\/account$/)
    await visible(byTest("totp-off"))
    await byTest("totp-start").click()
    await visible(page.locator('[data-test="totp-qr"] img'))
    const secret = ((await byTest("totp-secret").textContent()) ?? "").trim()
    expect(secret).toMatch(/^[A-Z2-7]+=*$/)
    nextCode = authenticator(secret)
    await browser.shot("auth-06-totp-enrol")

    await page.fill('[data-test="totp-code"] input', "000000")
    await byTest("totp-verify").click()
    await visible(byTest("problem"))
    await page.fill('[data-test="totp-code"] input', await nextCode())
    await byTest("totp-verify").click()
    await visible(byTest("recovery-codes"))
    recoveryCodes = (await byTest("recovery-code").allTextContents()).map((c) => c.trim())
    expect(recoveryCodes.length).toBe(10)
    const [download] = await Promise.all([page.waitForEvent("download"), byTest("download-codes").click()])
    const saved = readFileSync((await download.path()) as string, "utf8")
    for (const code of recoveryCodes) expect(saved).toContain(code)
    await browser.shot("auth-07-recovery-codes")
    await byTest("codes-saved").click()
    await visible(byTest("totp-on"))
    expect(await byTest("recovery-left").textContent()).toContain("10 unused")
    expect(await page.content()).not.toContain(recoveryCodes[0] as string)
  })

  test("with two-factor on, sign-in asks for a code; a recovery code works instead, once", async () => {
    await signOut()
    await signIn("grace", GRACE_PASSWORD)
    await visible(byTest("second-factor"))
    await page.fill('[data-test="code"] input', "123456")
    await byTest("password-sign-in").click()
    await visible(byTest("problem"))
    await browser.shot("auth-08-totp-step")
    await page.fill('[data-test="code"] input', await nextCode())
    await byTest("password-sign-in").click()
    await page.waitForURL(/\/catalog$/)

    await signOut()
    await signIn("grace", GRACE_PASSWORD)
    await visible(byTest("second-factor"))
    await byTest("toggle-recovery").click()
    await page.fill('[data-test="code"] input', recoveryCodes[0] as string)
    await byTest("password-sign-in").click()
    await page.waitForURL(/\/catalog$/)
    await page.goto("/account")
    await visible(byTest("recovery-left"))
    expect(await byTest("recovery-left").textContent()).toContain("9 unused")
  })

  test("active sign-ins list this browser and a script's sign-in; ending the script's leaves this one", async () => {
    const script = await fetch(`${core.url}/api/v1/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "deploy-script/1.0" },
      body: JSON.stringify({ username: "grace", password: GRACE_PASSWORD, totp: await nextCode() }),
    })
    expect(script.status).toBe(200)
    const { refreshToken } = (await script.json()) as { refreshToken: string }
    await page.reload()
    const row = page.locator('[data-test="sign-ins-table"] tbody tr', { hasText: "deploy-script" })
    await visible(row)
    await visible(byTest("current-sign-in"))
    await browser.shot("auth-09-sign-ins")
    await row.getByRole("button", { name: /End the sign-in/ }).click()
    await row.waitFor({ state: "detached", timeout: T })
    const refused = await fetch(`${core.url}/api/v1/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken }),
    })
    expect(refused.status).toBe(401)
    await visible(byTest("current-sign-in"))
  })

  test("the account page in dark theme, on a laptop and on a tablet", async () => {
    await byTest("theme-toggle").click()
    await page.waitForSelector(".v-theme--dark")
    await browser.shot("auth-10-account-dark-laptop")
    await page.setViewportSize({ width: 820, height: 1180 })
    await visible(page.getByRole("button", { name: "Open navigation" }))
    await browser.shot("auth-11-account-dark-tablet")
    await byTest("theme-toggle").click()
    await page.setViewportSize({ width: 1366, height: 850 })
  })

  test("two-factor is turned off with a recovery code", async () => {
    await visible(byTest("totp-on"))
    await byTest("totp-disable").click()
    await page.getByRole("button", { name: "Use a recovery code" }).click()
    await page.fill('[data-test="totp-confirm-code"] input', recoveryCodes[0] as string)
    await byTest("totp-confirm").click()
    // The first code was spent at sign-in: refused, and the second one works.
    await visible(byTest("problem"))
    await page.fill('[data-test="totp-confirm-code"] input', recoveryCodes[1] as string)
    await byTest("totp-confirm").click()
    await visible(byTest("totp-off"))
    await visible(byTest("totp-start"))
  })

  test("the Password card changes the password: other sign-ins end, this one stays, the new password signs in", async () => {
    const script = await fetch(`${core.url}/api/v1/auth/sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "deploy-script/1.0" },
      body: JSON.stringify({ username: "grace", password: GRACE_PASSWORD }),
    })
    expect(script.status).toBe(200)
    const { refreshToken } = (await script.json()) as { refreshToken: string }

    await byTest("password-start").click()
    await focusSettled("current-password")
    await fillAll({
      "current-password": "not-her-password",
      "new-password": GRACE_NEW_PASSWORD,
      "confirm-password": GRACE_NEW_PASSWORD,
    })
    await byTest("change-password").click()
    await visible(page.locator('[data-test="current-password"] .v-messages__message', { hasText: "current password is wrong" }))
    await browser.shot("auth-10b-password-wrong-current")

    await fillAll({
      "current-password": GRACE_PASSWORD,
      "new-password": GRACE_NEW_PASSWORD,
      "confirm-password": GRACE_NEW_PASSWORD,
    })
    await byTest("change-password").click()
    await visible(byTest("password-changed"))
    expect(await byTest("password-changed").textContent()).toContain("1 other device was signed out")
    await browser.shot("auth-10c-password-changed")
    const refused = await fetch(`${core.url}/api/v1/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken }),
    })
    expect(refused.status).toBe(401)

    // This browser's sign-in survived: a reload refreshes it.
    await page.reload()
    await visible(byTest("current-sign-in"))
    await signOut()
    await signIn("grace", GRACE_PASSWORD)
    await visible(byTest("problem"))
    expect(await problemText()).toContain("Could not sign in")
    await signIn("grace", GRACE_NEW_PASSWORD)
    await page.waitForURL(/\/catalog$/)
    await page.goto("/account")
    await visible(byTest("current-sign-in"))
  })

  test("signing out everywhere ends this sign-in too", async () => {
    await byTest("revoke-all").click()
    await byTest("confirm").click()
    await page.waitForURL(/\/sign-in/)
    await visible(byTest("sign-in-notice"))
    // Nothing is left to refresh: a reload stays signed out.
    await page.reload()
    await visible(byTest("username"))
    expect(page.url()).toContain("/sign-in")
  })

  test("OIDC: “Sign in with Test IdP” goes through the provider and back, provisioning the user", async () => {
    await page.goto("/sessions")
    await page.waitForURL(/\/sign-in/)
    await visible(byTest("oidc-sign-in"))
    expect(await byTest("oidc-sign-in").textContent()).toContain("Sign in with Test IdP")
    await browser.shot("auth-12-sign-in-with-oidc")
    await page.setViewportSize({ width: 820, height: 1180 })
    await browser.shot("auth-12-sign-in-tablet")
    await page.setViewportSize({ width: 1366, height: 850 })
    await byTest("oidc-sign-in").click()
    await page.waitForURL((url) => url.origin === provider.issuer)
    await page.fill('input[name="login"]', "sub-linus")
    await page.fill('input[name="password"]', "any")
    await page.click('button[type="submit"]')
    await page.locator('button[type="submit"]').waitFor({ timeout: T })
    await page.click('button[type="submit"]')
    await page.waitForURL(/\/sessions$/, { timeout: 60_000 })
    await visible(byTest("user-menu"))
    expect(await byTest("user-menu").textContent()).toContain("Linus Example")
    await browser.shot("auth-13-oidc-signed-in")
    await page.goto("/account")
    await visible(page.locator('[data-test="sign-ins-table"] tbody tr', { hasText: "Single sign-on" }))
  })

  test("repeated wrong passwords lock the account after the configured three failures, and the page says so", async () => {
    await page.goto("/catalog")
    await signOut()
    // Three failures lock the account (the admin's setting above); the fourth attempt is refused as locked.
    for (let attempt = 0; attempt < 4; attempt++) {
      await signIn("grace", `wrong-password-${attempt}`)
      await visible(byTest("problem"))
      if ((await problemText()).includes("Account locked")) break
    }
    expect(await problemText()).toContain("Account locked for now")
    // The lockout's Retry-After (the admin's 900 s), in words.
    expect(await byTest("wait-hint").textContent()).toMatch(/Try again in about 1[45] minutes\./)
    await browser.shot("auth-14-locked")
  })
})
