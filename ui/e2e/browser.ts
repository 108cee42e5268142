// Debian's Chromium driven by playwright-core, on a throwaway profile; screenshots go to artifacts/screenshots.
import { mkdirSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"

export const SCREENSHOTS = resolve(import.meta.dir, "../../artifacts/screenshots")

const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

export interface Browser {
  context: BrowserContext
  page: Page
  shot(name: string): Promise<string>
  close(): Promise<void>
}

export async function openBrowser(baseURL: string, viewport = { width: 1366, height: 850 }): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), "streamspace-e2e-chromium-"))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    baseURL,
    viewport,
    permissions: ["clipboard-read", "clipboard-write"],
    acceptDownloads: true,
  })
  const page = context.pages()[0] ?? (await context.newPage())
  mkdirSync(SCREENSHOTS, { recursive: true })
  return {
    context,
    page,
    async shot(name) {
      const path = join(SCREENSHOTS, `${name}.png`)
      await page.screenshot({ path, fullPage: true })
      return path
    },
    async close() {
      await context.close()
      rmSync(profile, { recursive: true, force: true })
    },
  }
}

/** A browser whose tab is signed in with an API key, kept the way the portal keeps it (this tab's sessionStorage). */
export async function openSignedIn(baseURL: string, apiKey: string): Promise<Browser> {
  const browser = await openBrowser(baseURL)
  await browser.context.addInitScript((token) => {
    sessionStorage.setItem("streamspace.credential", JSON.stringify({ kind: "api_key", token }))
  }, apiKey)
  return browser
}
