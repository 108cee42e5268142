// Upgrading a plugin from the Plugins page: Debian's Chromium against the real control plane with a
// marketplace of its own (PLUGIN_MARKETPLACE) that first offers version 1 of a plugin, then also 2.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { PluginInstall } from "@streamspace/schemas"
import type { Locator, Page } from "playwright-core"
import { probeBundle, probeManifest } from "../../core/src/modules/plugins/test-fixtures.ts"
import { type Browser, openSignedIn } from "./browser.ts"
import { type ControlPlane, ensurePortalBuilt, startControlPlane } from "./control-plane.ts"

const T = 20_000
setDefaultTimeout(90_000)
const ID = "test.upgradable"
const dir = mkdtempSync(join(tmpdir(), "streamspace-e2e-marketplace-"))
let core: ControlPlane
let browser: Browser
let page: Page

const byTest = (id: string) => page.locator(`[data-test="${id}"]`)
const visible = (l: Locator) => l.first().waitFor({ state: "visible", timeout: T })
const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex")

/** The marketplace index lists these versions of the plugin; the control plane reads it on every call. */
async function offer(versions: string[]) {
  const plugins = []
  for (const version of versions) {
    const bundle = `${probeBundle(ID)}// ${version}\n`
    await Bun.write(join(dir, version, "plugin.js"), bundle)
    plugins.push({ manifest: probeManifest({ id: ID, version }), bundle: `${version}/plugin.js`, sha256: sha256(bundle) })
  }
  await Bun.write(join(dir, "marketplace.json"), JSON.stringify({ plugins }))
}

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${core.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${core.adminKey}`, "content-type": "application/json", ...init.headers },
  })
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as T
}

beforeAll(async () => {
  ensurePortalBuilt()
  await offer(["1.0.0"])
  core = await startControlPlane({ env: { PLUGIN_MARKETPLACE: dir } })
  await api("/api/v1/plugins", {
    method: "POST",
    body: JSON.stringify({ source: "marketplace", pluginId: ID, grant: probeManifest().permissions, config: { size: 7 } }),
  })
  browser = await openSignedIn(core.url, core.adminKey)
  page = browser.page
}, 180_000)

afterAll(async () => {
  await browser?.close()
  await core?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe("plugin upgrade in the portal", () => {
  test("an installed plugin with a newer version offered shows Upgrade; confirming moves the same install to it", async () => {
    await page.goto("/admin/plugins")
    await visible(byTest(`market-${ID}`))
    expect(await byTest(`upgrade-${ID}`).count()).toBe(0)

    await offer(["1.0.0", "1.1.0"])
    await page.reload()
    await visible(byTest(`upgrade-${ID}`))
    expect(await byTest(`upgrade-${ID}`).textContent()).toContain("Upgrade from 1.0.0")
    await byTest(`upgrade-${ID}`).click()
    await visible(byTest("plugin-upgrade-permissions"))
    await browser.shot("plugin-upgrade-01-confirm")
    await byTest("confirm").click()
    await byTest(`upgrade-${ID}`).waitFor({ state: "detached", timeout: T })

    const [install] = await api<PluginInstall[]>("/api/v1/plugins")
    expect(install).toMatchObject({ pluginId: ID, version: "1.1.0", config: { size: 7 } })
    await browser.shot("plugin-upgrade-02-done")
  })
})
