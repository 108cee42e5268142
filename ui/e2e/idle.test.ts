// The hibernation plugin's idle warning end to end: Debian's Chromium against the real control plane,
// its plugin runtime running the first-party hibernation plugin from the marketplace, and a real
// desktop. An untouched viewer shows the countdown; typing into the desktop ends it, on the page at
// once and on the server at its next tick; left alone again, the session hibernates.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import type { Locator, Page } from "playwright-core"
import { type Browser, openSignedIn } from "./browser.ts"
import { type ControlPlane, ensurePluginsBuilt, ensurePortalBuilt, startControlPlane } from "./control-plane.ts"
import { until, waitForPicture, waitForStill, xtermSpot } from "./desktop.ts"

const T = 30_000
const DESKTOP_T = 150_000
// The plugin ticks every 10 s; a warning and its withdrawal each wait for a tick.
const TICK_T = 40_000
setDefaultTimeout(300_000)

const run = crypto.randomUUID().slice(0, 8)
let core: ControlPlane
let owner: Browser
let sessionId = ""

const byTest = (page: Page, id: string) => page.locator(`[data-test="${id}"]`)
const visible = (l: Locator, timeout = T) => l.first().waitFor({ state: "visible", timeout })

async function api<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${core.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${core.adminKey}`, "content-type": "application/json", ...init.headers },
  })
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as T
}

const stateOf = async () => (await api<{ state: string }>(`/api/v1/sessions/${sessionId}`)).state

beforeAll(async () => {
  ensurePortalBuilt()
  ensurePluginsBuilt()
  core = await startControlPlane({ dockerAgent: `e2e-idle-${run}` })
  await until(
    async () => (await api<{ status: string }[]>("/api/v1/agents")).some((a) => a.status === "online"),
    120_000,
    "the local Docker agent came online",
  )
  // Idle after 60 s, warned for the last 25 (from 35 s without input, at the next 10 s tick).
  await api("/api/v1/plugins", {
    method: "POST",
    body: JSON.stringify({
      source: "marketplace",
      pluginId: "streamspace.hibernation",
      grant: { sessions: "write", kv: { quotaBytes: 1048576 } },
      config: { idleMinutes: 1, warningSeconds: 25, action: "hibernate" },
    }),
  })
  const templates = await api<{ items: { id: string; name: string }[] }>("/api/v1/templates?limit=100")
  const desktop = templates.items.find((t) => t.name === "desktop") ?? templates.items[0]
  sessionId = (
    await api<{ id: string }>("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId: desktop?.id }) })
  ).id
  owner = await openSignedIn(core.url, core.adminKey)
}, 300_000)

afterAll(async () => {
  await owner?.close()
  if (core && sessionId)
    await fetch(`${core.url}/api/v1/sessions/${sessionId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${core.adminKey}` },
    }).catch(() => {})
  await core?.stop()
})

describe("idle warning in the viewer (hibernation plugin, real desktop)", () => {
  test("an untouched viewer counts down; typing ends the warning; left alone again, the session hibernates", async () => {
    const page = owner.page
    await page.goto(`/sessions/${sessionId}/view`)
    await page.locator('[data-test="viewer"][data-phase="connected"]').waitFor({ timeout: DESKTOP_T })
    await waitForPicture(page, DESKTOP_T)

    // Nobody touches the desktop: the plugin warns, the viewer counts down.
    await visible(byTest(page, "viewer-idle-warning"), 60_000 + TICK_T)
    const first = Number(await byTest(page, "viewer-idle-seconds").textContent())
    expect(first).toBeGreaterThan(0)
    // 25 s warned, counted up (ceil) on the browser's clock against the server's deadline: at most 26.
    expect(first).toBeLessThanOrEqual(26)
    await until(
      async () => Number(await byTest(page, "viewer-idle-seconds").textContent()) < first,
      5_000,
      "the countdown went down",
    )
    await owner.shot("idle-01-warning")

    // Input ends it at once on the page; on the server it resets the idle clock, so the deadline the
    // warning named passes with the session still running.
    const deadline = Date.now() + first * 1000
    const spot = await xtermSpot(page, T)
    await waitForStill(page, 500, T)
    await byTest(page, "viewer-screen")
      .locator("canvas")
      .click({ position: { x: spot.x, y: spot.y } })
    await page.keyboard.type("echo still-here", { delay: 20 })
    await page.keyboard.press("Enter")
    await byTest(page, "viewer-idle-warning").waitFor({ state: "hidden", timeout: T })
    await Bun.sleep(Math.max(0, deadline - Date.now()) + 12_000)
    expect(await stateOf()).toBe("running")

    // Left alone once more: warned again, then hibernated; the viewer stops showing the desktop.
    await visible(byTest(page, "viewer-idle-warning"), 60_000)
    await until(async () => (await stateOf()) === "hibernated", 90_000, "the idle session hibernated")
    await page.waitForFunction(
      () => document.querySelector('[data-test="viewer"]')?.getAttribute("data-phase") !== "connected",
      undefined,
      { timeout: T },
    )
    await owner.shot("idle-02-hibernated")
  })
})
