// The portal end to end: Debian's Chromium against the real control plane (a process on a fresh
// PGlite), signing in with an API key, browsing, launching, importing, auditing. No agent runs, so
// sessions stay pending. Screenshots land in artifacts/screenshots/.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { readFileSync } from "node:fs"
import type { Locator, Page } from "playwright-core"
import { startReceiver, type TestReceiver } from "../../plugins/webhooks/src/test-receiver.ts"
import { type Browser, openBrowser } from "./browser.ts"
import { type ControlPlane, ensurePluginsBuilt, ensurePortalBuilt, startControlPlane } from "./control-plane.ts"

let core: ControlPlane
let browser: Browser
let page: Page
/** Where the webhook endpoint created through the portal points: a real HTTP server on loopback. */
let receiver: TestReceiver

const T = 20_000
// Each step drives a real browser against a real server: bun's 5 s default is too short.
setDefaultTimeout(90_000)
const visible = (l: Locator) => l.first().waitFor({ state: "visible", timeout: T })
const gone = (l: Locator) => l.first().waitFor({ state: "hidden", timeout: T })
const byTest = (id: string) => page.locator(`[data-test="${id}"]`)
/** Dialogs fade out: wait until none is left before a screenshot or a look at the page. */
const noDialog = () => page.waitForFunction(() => document.querySelectorAll(".v-dialog .v-overlay__content").length === 0)

beforeAll(async () => {
  ensurePortalBuilt()
  ensurePluginsBuilt()
  receiver = startReceiver()
  // Plugins may reach only public addresses unless allowed: the test receiver listens on loopback.
  core = await startControlPlane({ env: { PLUGIN_HTTP_ALLOW_PRIVATE: "127.0.0.1" } })
  browser = await openBrowser(core.url)
  page = browser.page
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await core?.stop()
  receiver?.stop()
})

describe("the portal against the real control plane", () => {
  test("a visitor is sent to sign in, a wrong key is refused with a readable message, the admin's key gets in", async () => {
    await page.goto("/catalog")
    await page.waitForURL(/\/sign-in\?redirect=(%2F|\/)catalog$/)
    await visible(byTest("token-input"))
    // The username field takes the focus a moment after the page shows: typing before that could land there.
    await page.waitForFunction(() => document.activeElement?.closest('[data-test="username"]') != null)

    await page.fill('[data-test="token-input"] input', "ssk_not-a-real-key")
    await page.click('[data-test="sign-in"]')
    await visible(byTest("problem"))
    expect(await byTest("problem").textContent()).toContain("The access token or API key is invalid, expired or revoked.")
    await browser.shot("01-sign-in-refused")

    // From here on, the keyboard only: focus the field, type the key, press Enter.
    await page.focus('[data-test="token-input"] input')
    await page.keyboard.press("Control+A")
    await page.keyboard.type(core.adminKey)
    await page.keyboard.press("Enter")
    await page.waitForURL(/\/catalog$/)
    await visible(byTest("template-terminal"))
    expect(await page.locator('[data-test^="template-"]').count()).toBe(2)
    await browser.shot("02-catalog")
  })

  test("the catalog narrows by search, by category and by tag", async () => {
    const cards = page.locator('[data-test="catalog-grid"] [data-test^="template-"]')
    await page.fill('[data-test="catalog-search"] input', "xterm")
    await gone(byTest("template-desktop"))
    expect(await cards.count()).toBe(1)
    await page.fill('[data-test="catalog-search"] input', "")
    await visible(byTest("template-desktop"))

    await page.locator('[data-test="categories"] .v-chip', { hasText: "Desktops" }).click()
    await gone(byTest("template-terminal"))
    expect(await cards.count()).toBe(1)
    await page.locator('[data-test="categories"] .v-chip', { hasText: "Desktops" }).click()
    await visible(byTest("template-terminal"))

    await byTest("template-terminal").locator(".v-chip", { hasText: "cli" }).click()
    await gone(byTest("template-desktop"))
    await browser.shot("03-catalog-by-tag")
    await page
      .locator('[data-test="tag-filter"] .v-field__clearable button, [data-test="tag-filter"] .v-field__clearable .v-icon')
      .first()
      .click()
    await visible(byTest("template-desktop"))
  })

  test("launching from the catalog creates a session that My sessions shows as pending; its owner shares it view-only", async () => {
    await byTest("template-terminal").locator('[data-test="launch"]').click()
    await visible(byTest("launched"))
    expect(await byTest("launched").textContent()).toContain("Terminal is launching")
    await byTest("launched").getByRole("button", { name: "My sessions" }).click()
    await page.waitForURL(/\/sessions$/)
    const row = page.locator('[data-test="sessions-table"] tbody tr', { hasText: "terminal" })
    await visible(row.locator('[data-test="state-pending"]'))
    expect((await row.locator("button, a.v-btn").allTextContents()).map((t) => t.trim())).toEqual(["Connect", "Share", "Stop"])
    await browser.shot("04-my-sessions")

    await row.locator('[data-test="action-share"]').click()
    await page.fill('[data-test="share-username"] input', "nobody-here")
    await byTest("share-grant").click()
    await visible(page.locator('[data-test="share-dialog"] [data-test="problem"]'))
    await page.fill('[data-test="share-username"] input', "bob")
    await byTest("share-grant").click()
    await visible(byTest("share-bob"))
    expect(await byTest("share-bob").textContent()).toContain("View only")
    await browser.shot("05-share")
    await page.keyboard.press("Escape")
    await noDialog()
  })

  test("an admin imports a catalog: a bad file names its fields and imports nothing, a good upload lands", async () => {
    await page.click('a[href="/admin/templates"]')
    await visible(byTest("tpl-row-desktop"))
    await byTest("open-import").click()
    await byTest("import-mode-paste").click()
    await page.fill(
      '[data-test="import-text"] textarea',
      "templates:\n  - name: Bad Name\n    displayName: Broken\n    category: Tools\n    resources: { cpu: 1, memory: 512 }\n",
    )
    await byTest("import-submit").click()
    const problem = page.locator('.v-dialog [data-test="problem"]')
    await visible(problem)
    const text = await problem.textContent()
    expect(text).toContain("Nothing was imported")
    expect(text).toContain("template 1")
    await browser.shot("06-import-refused")

    await byTest("import-mode-file").click()
    const catalog = [
      "templates:",
      "  - name: firefox",
      "    displayName: Firefox",
      "    description: The web browser, in its own container.",
      "    category: Browsers",
      "    tags: [web, browser]",
      "    image: streamspace/desktop:latest",
      "    resources: { cpu: 1, memory: 2048 }",
      "  - name: terminal",
      "    displayName: Terminal",
      "    description: A full-screen xterm, now with more memory.",
      "    category: Development",
      "    tags: [terminal, shell, cli]",
      "    image: streamspace/desktop:latest",
      "    resources: { cpu: 0.5, memory: 768 }",
    ].join("\n")
    await page.setInputFiles('[data-test="import-file"] input[type=file]', {
      name: "catalog.yaml",
      mimeType: "text/yaml",
      buffer: Buffer.from(catalog),
    })
    await byTest("import-submit").click()
    await visible(byTest("import-result"))
    expect(await byTest("import-result").textContent()).toContain("1 created, 1 updated: firefox, terminal")
    await browser.shot("07-import-result")
    await page.keyboard.press("Escape")
    await noDialog()
    await visible(byTest("tpl-row-firefox"))
    await browser.shot("08-templates")
  })

  test("the audit log shows the import and the refused one, filters them, and exports CSV", async () => {
    await page.click('a[href="/admin/audit"]')
    await visible(byTest("audit-template.import"))
    const rows = page.locator('[data-test="audit-template.import"]')
    const outcomes = (await rows.allTextContents()).join("\n")
    expect(outcomes).toContain("success · 200")
    expect(outcomes).toContain("failure · 422")
    await page.fill('[data-test="audit-action"] input', "template.")
    await page.waitForFunction(() =>
      [...document.querySelectorAll('[data-test="audit-table"] tbody tr')].every((r) =>
        r.getAttribute("data-test")?.startsWith("audit-template."),
      ),
    )
    await browser.shot("09-audit-log")

    const [download] = await Promise.all([page.waitForEvent("download"), byTest("export-csv").click()])
    const csv = readFileSync((await download.path()) as string, "utf8")
    expect(download.suggestedFilename()).toMatch(/^audit-.*\.csv$/)
    expect(csv).toContain("template.import")
    expect(csv).not.toContain("session.create")
  })

  test("admin pages: a user is created, an API key and an agent token are shown once", async () => {
    await page.click('a[href="/admin/users"]')
    await visible(byTest("user-ada"))
    await byTest("new-user").click()
    await page.fill('[data-test="user-username"] input', "Carol!")
    await byTest("user-create").click()
    const usernameError = page.locator('.v-dialog [data-test="user-username"] .v-messages__message', {
      hasText: "Expected string to match",
    })
    await visible(usernameError)
    await page.fill('[data-test="user-username"] input', "carol")
    await byTest("user-create").click()
    await visible(byTest("user-carol"))
    await noDialog()
    await browser.shot("10-users")

    await page.click('a[href="/api-keys"]')
    await visible(byTest("key-e2e-admin"))
    await byTest("new-key").click()
    await page.fill('[data-test="key-name"] input', "deploys")
    await byTest("key-create").click()
    await visible(byTest("secret-value"))
    const secret = await page.inputValue('[data-test="secret-value"] input')
    expect(secret).toStartWith("ssk_")
    await byTest("copy-secret").click()
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret)
    await browser.shot("11-api-key-created")
    await byTest("secret-done").click()
    await visible(byTest("key-deploys"))
    await page.waitForFunction(() => !document.querySelector('[data-test="secret-value"]'))
    expect(await page.content()).not.toContain(secret)

    await page.click('a[href="/admin/agents"]')
    await byTest("new-agent").click()
    await page.fill('[data-test="agent-name"] input', "docker-1")
    await byTest("agent-register").click()
    await visible(byTest("secret-value"))
    const token = await page.inputValue('[data-test="secret-value"] input')
    expect(token).toStartWith("ssa_")
    await browser.shot("12-agent-token")
    await byTest("secret-done").click()
    await visible(byTest("agent-docker-1"))
    expect(await byTest("agent-docker-1").textContent()).toContain("offline")
    await byTest("rotate-docker-1").click()
    await byTest("confirm").click()
    await visible(byTest("secret-value"))
    expect(await page.inputValue('[data-test="secret-value"] input')).not.toBe(token)
    await byTest("secret-done").click()
    await noDialog()
    await browser.shot("13-agents")
  })

  test("the dashboard shows the waiting session, the agents and a chart of the last day; the theme switches to dark", async () => {
    await page.click('a[href="/admin"]')
    await visible(byTest("sessions-chart"))
    expect(await byTest("stat-pending").textContent()).toContain("1")
    expect(await byTest("stat-agents").textContent()).toContain("0 / 1")
    const label = (await byTest("sessions-chart").getAttribute("aria-label")) ?? ""
    expect(label).toMatch(/31 launched/)
    await browser.shot("14-dashboard")
    await byTest("theme-toggle").click()
    await page.waitForSelector(".v-theme--dark")
    await browser.shot("15-dashboard-dark")
    await byTest("theme-toggle").click()
  })

  test("an admin installs a plugin from the marketplace with its permissions shown, then configures it", async () => {
    await page.click('a[href="/admin/plugins"]')
    await visible(byTest("install-streamspace.quotas"))
    await byTest("install-streamspace.quotas").click()
    await visible(byTest("plugin-permissions"))
    expect(await byTest("plugin-permissions").textContent()).toContain("Read sessions")
    await browser.shot("16-plugin-install")
    await byTest("confirm").click()
    await visible(byTest("plugin-streamspace.quotas"))
    await noDialog()

    await byTest("configure-streamspace.quotas").click()
    await visible(byTest("config-defaults"))
    await page.fill('[data-test="config-defaults"] textarea', '{ "sessions": -1 }')
    await byTest("plugin-save").click()
    await visible(page.locator('[data-test="config-defaults"] .v-messages__message', { hasText: "sessions" }))
    await browser.shot("17-plugin-config-refused")
    await page.fill('[data-test="config-defaults"] textarea', '{ "sessions": 5, "cpu": 8, "memory": 16384 }')
    await byTest("plugin-save").click()
    await noDialog()
    await byTest("configure-streamspace.quotas").click()
    await visible(byTest("config-defaults"))
    expect(await page.inputValue('[data-test="config-defaults"] textarea')).toContain('"sessions": 5')
    await page.keyboard.press("Escape")
    await noDialog()
    await browser.shot("18-plugins")
  })

  test("an admin runs the webhooks plugin's actions: creates an endpoint, sees its secret once, lists and pings it", async () => {
    await byTest("install-streamspace.webhooks").click()
    await byTest("confirm").click()
    await visible(byTest("plugin-streamspace.webhooks"))
    await noDialog()
    const create = byTest("action-streamspace.webhooks-endpoints.create")
    const ready = (l: Locator) => l.and(page.locator(":not(.v-list-item--disabled)")).waitFor({ timeout: T })

    // Disabled, its actions are listed but cannot be chosen, and the card says why.
    const enabled = page.getByRole("checkbox", { name: "Webhooks enabled" })
    await enabled.uncheck()
    await visible(byTest("actions-streamspace.webhooks").locator('[data-test="actions-unavailable"]'))
    expect(await byTest("actions-streamspace.webhooks").textContent()).toContain("The plugin is disabled: enable it")
    expect(await create.getAttribute("class")).toContain("v-list-item--disabled")
    await browser.shot("19-plugin-actions-disabled")
    await enabled.check()
    await ready(create)

    await create.click()
    await visible(byTest("action-url"))
    await page.fill('[data-test="action-url"] input', receiver.url("/hook"))
    await page.fill('[data-test="action-description"] input', "Ops channel")
    await byTest("action-run").click()
    await visible(byTest("secret-value"))
    const secret = await page.inputValue('[data-test="secret-value"] input')
    expect(secret).toStartWith("whsec_")
    const created = (await byTest("result-fields").textContent()) ?? ""
    expect(created).toContain(receiver.url("/hook"))
    expect(created).not.toContain(secret)
    const id = /ep_[0-9a-f]{16}/.exec(created)?.[0] ?? ""
    expect(id).not.toBe("")
    await browser.shot("20-webhook-secret-once")
    await byTest("secret-done").click()
    await noDialog()
    expect(await page.content()).not.toContain(secret)

    // Taking no input, the list runs after a confirmation; the endpoint is there, its secret is not.
    await byTest("action-streamspace.webhooks-endpoints.list").click()
    await visible(byTest("action-confirm"))
    await byTest("action-run").click()
    const row = page.locator('[data-test="result-table"] tbody tr', { hasText: id })
    await visible(row)
    expect(await row.textContent()).toContain(receiver.url("/hook"))
    expect(await byTest("action-done").textContent()).not.toContain("whsec_")
    await browser.shot("21-webhook-endpoints")
    await byTest("action-close").click()
    await noDialog()

    // The plugin's own refusal names the field it is about; the right id sends a signed ping to the receiver.
    await byTest("action-streamspace.webhooks-ping").click()
    await page.fill('[data-test="action-id"] input', "ep_0000000000000000")
    await byTest("action-run").click()
    await visible(page.locator('[data-test="action-id"] .v-messages__message', { hasText: "No webhook endpoint has this id." }))
    await page.fill('[data-test="action-id"] input', id)
    await byTest("action-run").click()
    await visible(byTest("action-done"))
    const ping = receiver.received.find((r) => r.body.includes("webhook.ping"))
    expect(ping?.path).toBe("/hook")
    expect(ping?.headers["webhook-signature"]).toStartWith("v1,")
    await byTest("action-close").click()
    await noDialog()
  })

  test("on a tablet the navigation folds into a menu and the catalog reflows", async () => {
    await page.setViewportSize({ width: 820, height: 1180 })
    await page.goto("/catalog")
    await visible(byTest("template-firefox"))
    await visible(page.getByRole("button", { name: "Open navigation" }))
    await browser.shot("22-catalog-tablet")
    await page.getByRole("button", { name: "Open navigation" }).click()
    await visible(page.locator('nav a[href="/sessions"]'))
    await browser.shot("23-navigation-tablet")
    await page.setViewportSize({ width: 1366, height: 850 })
  })

  test("a plain user sees no administration and is told an admin page is not theirs", async () => {
    const other = await browser.context.newPage()
    await other.goto("/sign-in")
    await other.waitForFunction(() => document.activeElement?.closest('[data-test="username"]') != null)
    await other.fill('[data-test="token-input"] input', core.userKey)
    await other.click('[data-test="sign-in"]')
    await other.waitForURL(/\/catalog$/)
    expect(await other.locator('a[href="/admin/users"]').count()).toBe(0)
    await other.goto("/admin/users")
    await other.waitForURL(/\/forbidden/)
    expect(await other.locator("main").textContent()).toContain("needs the admin role")
    await other.close()
  })

  test("revoking the key this tab signed in with signs it out with a notice", async () => {
    await page.click('a[href="/api-keys"]')
    await visible(byTest("revoke-e2e-admin"))
    await byTest("revoke-e2e-admin").click()
    await byTest("confirm").click()
    await gone(byTest("revoke-e2e-admin"))
    await page.click('a[href="/catalog"]')
    await page.waitForURL(/\/sign-in/)
    await visible(byTest("sign-in-notice"))
    expect(await byTest("sign-in-notice").textContent()).toContain("was revoked or has expired")
    await browser.shot("24-signed-out")
  })
})
