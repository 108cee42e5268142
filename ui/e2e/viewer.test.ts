// The desktop viewer end to end: Debian's Chromium against the real control plane with its local
// Docker agent and the real desktop image (Xvnc, JWM, xterm). One desktop for the whole file:
// launch from the catalog, see and type into it, share it view-only with a second user in a second
// browser whose typing changes nothing, stop it. Screenshots land in artifacts/screenshots/.
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test"
import type { Locator, Page } from "playwright-core"
import { type Browser, openSignedIn } from "./browser.ts"
import { type ControlPlane, ensurePortalBuilt, startControlPlane } from "./control-plane.ts"
import {
  containerOf,
  fileExists,
  type Pixels,
  readFile,
  screenPixels,
  typeBehindTheViewer,
  until,
  waitForChange,
  waitForPicture,
  waitForStill,
  xtermRuns,
  xtermSpot,
} from "./desktop.ts"

// A busy 2-core machine starts a container, an agent and two Chromiums: deadlines are generous.
const T = 30_000
const DESKTOP_T = 150_000
setDefaultTimeout(240_000)

const run = crypto.randomUUID().slice(0, 8)
let core: ControlPlane
let owner: Browser
let guest: Browser
let sessionId = ""
let container = ""

const byTest = (page: Page, id: string) => page.locator(`[data-test="${id}"]`)
const visible = (l: Locator, timeout = T) => l.first().waitFor({ state: "visible", timeout })
const phase = (page: Page, value: string, timeout = DESKTOP_T) =>
  page.locator(`[data-test="viewer"][data-phase="${value}"]`).waitFor({ timeout })

const signedIn = (key: string) => openSignedIn(core.url, key)

async function api<T>(path: string, key: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(`${core.url}${path}`, { ...init, headers: { authorization: `Bearer ${key}`, ...init.headers } })
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`)
  return (await res.json()) as T
}

/** Clicks into the remote xterm window (X's focus follows clicks) and gives noVNC the keyboard. */
async function focusScreen(page: Page) {
  const spot = await xtermSpot(page, T)
  await byTest(page, "viewer-screen")
    .locator("canvas")
    .click({ position: { x: spot.x, y: spot.y } })
}

/** Opens or closes the clipboard panel, whatever state an earlier step left it in. */
async function clipboardPanel(page: Page, open: boolean) {
  if ((await byTest(page, "clipboard-panel").isVisible()) !== open) await byTest(page, "clipboard-toggle").click()
  await byTest(page, "clipboard-panel").waitFor({ state: open ? "visible" : "hidden", timeout: T })
}

/** Types a shell command into the remote xterm. */
async function typeInto(page: Page, command: string) {
  await focusScreen(page)
  await page.keyboard.type(command, { delay: 20 })
  await page.keyboard.press("Enter")
}

beforeAll(async () => {
  ensurePortalBuilt()
  core = await startControlPlane({ dockerAgent: `e2e-viewer-${run}` })
  // The local agent connects after the control plane is ready: launch only once it is online.
  await until(
    async () => (await api<{ status: string }[]>("/api/v1/agents", core.adminKey)).some((a) => a.status === "online"),
    120_000,
    "the local Docker agent came online",
  )
  owner = await signedIn(core.adminKey)
  guest = await signedIn(core.userKey)
}, 300_000)

afterAll(async () => {
  await guest?.close()
  await owner?.close()
  if (core && sessionId)
    await fetch(`${core.url}/api/v1/sessions/${sessionId}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${core.adminKey}` },
    }).catch(() => {})
  await core?.stop()
})

describe("the desktop viewer against a real session", () => {
  test("launching from the catalog opens the viewer, which shows the desktop and its latency", async () => {
    const page = owner.page
    await page.goto("/catalog")
    await byTest(page, "template-desktop").locator('[data-test="launch"]').click()
    await visible(byTest(page, "launched"))
    await byTest(page, "open-launched").click()
    await page.waitForURL(/\/sessions\/[0-9a-f-]+\/view$/)
    sessionId = /\/sessions\/([0-9a-f-]+)\/view$/.exec(page.url())?.[1] ?? ""
    await visible(byTest(page, "viewer-status"))
    await owner.shot("viewer-01-starting")

    await phase(page, "connected")
    const picture = await waitForPicture(page, DESKTOP_T)
    expect(picture.width).toBeGreaterThan(100)
    expect(picture.colours).toBeGreaterThanOrEqual(3)
    expect(await byTest(page, "view-only").count()).toBe(0)
    expect(await page.locator('[data-test="viewer"]').getAttribute("data-level")).toBe("control")

    // Latency: RFB fence round trips through relay and agent, shown in the toolbar.
    const latency = byTest(page, "latency")
    await page.locator('[data-test="latency"][data-latency-ms]').waitFor({ timeout: T })
    expect(Number(await latency.getAttribute("data-latency-ms"))).toBeGreaterThanOrEqual(0)
    expect(await latency.textContent()).toMatch(/Latency \d+ ms/)
    container = await containerOf(sessionId)
    expect(container).not.toBe("")
    await until(() => xtermRuns(container), DESKTOP_T, "xterm started")
    await owner.shot("viewer-02-desktop")
  })

  test("typing into the xterm changes the picture and runs the command in the session", async () => {
    const page = owner.page
    const before = await waitForStill(page, 1_000, T)
    await typeInto(page, `touch ~/owner-${run}`)
    await waitForChange(page, before, T)
    await until(() => fileExists(container, `/home/user/owner-${run}`), T, "the owner's command ran")
    await owner.shot("viewer-03-typed")
  })

  test("text sent from the clipboard panel can be pasted on the desktop", async () => {
    const page = owner.page
    await clipboardPanel(page, true)
    // Typed and sent from the keyboard (Ctrl+Enter), as a keyboard user does.
    await page.focus('[data-test="clipboard-outgoing"] textarea')
    await page.keyboard.type(`pasted-${run}`)
    await page.keyboard.press("Control+Enter")
    await owner.shot("viewer-04-clipboard")
    await clipboardPanel(page, false)
    // xterm pastes the selection with Shift+Insert; Xvnc set it from the clipboard the viewer sent.
    await typeInto(page, `cat > ~/clip-${run}`)
    const before = await waitForStill(page, 500, T)
    await page.keyboard.press("Shift+Insert")
    // The paste is asynchronous (xterm asks Xvnc, which asks the viewer for the text): keys pressed
    // meanwhile would overtake it, so Enter waits until the pasted text is on the screen.
    await waitForChange(page, before, T)
    await page.keyboard.press("Enter")
    await page.keyboard.press("Control+D")
    await owner.shot("viewer-04-pasted")
    await until(
      async () => (await readFile(container, `/home/user/clip-${run}`)) === `pasted-${run}`,
      T,
      "the pasted text was saved",
    ).catch(async (e) => {
      await owner.shot("viewer-04-clipboard-failed")
      throw e
    })
  })

  test("text selected on the desktop shows in the clipboard panel and copies to this computer", async () => {
    const page = owner.page
    await typeInto(page, "clear")
    await typeInto(page, `echo clipword${run}`)
    await waitForStill(page, 500, T)
    // xterm's font is 6×13 with a 2-pixel border: the echoed word is the second line.
    const area = await xtermSpot(page, T)
    await byTest(page, "viewer-screen")
      .locator("canvas")
      .dblclick({ position: { x: (area.left + 2 + 21) * area.scaleX, y: (area.top + 2 + 13 + 6) * area.scaleY } })
    await clipboardPanel(page, true)
    await page.waitForFunction(
      (word) => document.querySelector<HTMLTextAreaElement>('[data-test="clipboard-remote"] textarea')?.value === word,
      `clipword${run}`,
      { timeout: T },
    )
    await byTest(page, "clipboard-copy").click()
    await until(async () => (await page.evaluate(() => navigator.clipboard.readText())) === `clipword${run}`, T, "copied")
    await owner.shot("viewer-04-clipboard-from-desktop")
    await clipboardPanel(page, false)
  })

  test("a key combination from the toolbar menu reaches the desktop (Ctrl+W erases a word in the shell)", async () => {
    const page = owner.page
    await focusScreen(page)
    // A fresh prompt, whatever the test before left running; typing waits until bash has drawn it.
    await page.keyboard.press("Control+C")
    await waitForStill(page, 500, T)
    await page.keyboard.type(`touch ~/kept-${run} ~/erased-${run}`, { delay: 20 })
    await byTest(page, "shortcuts").click()
    await byTest(page, "shortcut-ctrl-w").click()
    await focusScreen(page)
    await page.keyboard.press("Enter")
    await until(() => fileExists(container, `/home/user/kept-${run}`), T, "the shortened command ran").catch(async (e) => {
      await owner.shot("viewer-04-shortcut-failed")
      throw e
    })
    expect(await fileExists(container, `/home/user/erased-${run}`)).toBe(false)
  })

  test("the remote desktop takes the window's size on request, and the viewer goes full screen and back", async () => {
    const page = owner.page
    const canvasWidth = () =>
      page.evaluate(() => document.querySelector<HTMLCanvasElement>('[data-test="viewer-screen"] canvas')?.width ?? 0)
    const before = await canvasWidth()
    await byTest(page, "scaling").click()
    await byTest(page, "scaling-remote").click()
    // noVNC asks for the screen element's size with SetDesktopSize; Xvnc resizes and says so.
    await page.waitForFunction(
      (old) => {
        const screen = document.querySelector<HTMLElement>('[data-test="viewer-screen"]')
        const canvas = screen?.querySelector("canvas")
        return !!screen && !!canvas && canvas.width !== old && Math.abs(canvas.width - screen.clientWidth) <= 2
      },
      before,
      { timeout: T },
    )
    await owner.shot("viewer-05-remote-resize")

    await byTest(page, "fullscreen").click()
    await page.waitForFunction(() => document.fullscreenElement?.getAttribute("data-test") === "viewer", undefined, {
      timeout: T,
    })
    await byTest(page, "fullscreen").click()
    await page.waitForFunction(() => document.fullscreenElement === null, undefined, { timeout: T })
  })

  test("hibernating the session drops the stream; the viewer reconnects by itself, waking the session", async () => {
    const page = owner.page
    // Records every progress text the viewer shows, however briefly.
    await page.evaluate(() => {
      const seen: string[] = []
      ;(window as unknown as { seen: string[] }).seen = seen
      new MutationObserver(() => {
        const text = document.querySelector('[data-test="viewer-status"]')?.textContent?.trim()
        if (text && seen.at(-1) !== text) seen.push(text)
      }).observe(document.body, { subtree: true, childList: true, characterData: true })
    })
    await api(`/api/v1/sessions/${sessionId}/hibernate`, core.adminKey, { method: "POST" })
    await page.waitForFunction(
      () => document.querySelector('[data-test="viewer"]')?.getAttribute("data-phase") !== "connected",
      undefined,
      {
        timeout: DESKTOP_T,
      },
    )
    await phase(page, "connected")
    await waitForPicture(page, DESKTOP_T)
    const seen = await page.evaluate(() => (window as unknown as { seen: string[] }).seen)
    expect(seen.some((t) => t.includes("Waking the session"))).toBe(true)

    container = await containerOf(sessionId)
    await until(() => xtermRuns(container), DESKTOP_T, "xterm started again")
    await waitForStill(page, 1_000, T)
    await typeInto(page, `touch ~/woken-${run}`)
    await until(() => fileExists(container, `/home/user/woken-${run}`), T, "a command typed after the wake ran")
  })

  test("shared view-only, a second user sees the desktop, marked view-only, and nothing they type arrives", async () => {
    const page = owner.page
    await page.goto("/sessions")
    const row = byTest(page, `session-${sessionId}`)
    await visible(row.locator('[data-test="state-running"]'))
    await row.locator('[data-test="action-share"]').click()
    await page.fill('[data-test="share-username"] input', "bob")
    await byTest(page, "share-grant").click()
    await visible(byTest(page, "share-bob"))
    expect(await byTest(page, "share-bob").textContent()).toContain("View only")
    await page.keyboard.press("Escape")
    await page.goto(`/sessions/${sessionId}/view`)
    await phase(page, "connected")

    const g = guest.page
    await g.goto("/sessions")
    const shared = byTest(g, `shared-${sessionId}`)
    await visible(shared).catch(async (e) => {
      await guest.shot("viewer-06-shared-missing")
      throw e
    })
    expect(await shared.textContent()).toContain("View only")
    await guest.shot("viewer-06-shared-with-me")
    await shared.locator('[data-test="action-connect"]').click()
    await phase(g, "connected")
    await visible(byTest(g, "view-only"))
    expect(await g.locator('[data-test="viewer"]').getAttribute("data-level")).toBe("view")
    await waitForPicture(g, T)
    await guest.shot("viewer-07-view-only")

    // Both see the same still screen; the guest types through the viewer and behind it.
    const ownerBefore = await waitForStill(page, 1_000, T)
    const guestBefore: Pixels = await waitForStill(g, 1_000, T)
    await typeInto(g, `touch ~/viewer-${run}`)
    expect(await typeBehindTheViewer(g, sessionId, core.userKey, `touch ~/raw-${run}`)).toBe("view")

    // The owner's command, typed after the guest's keys were read by the VNC server (see
    // typeBehindTheViewer), runs; had any guest key arrived, it would have run first or garbled it.
    expect((await screenPixels(g))?.hash).toBe(guestBefore.hash)
    expect((await screenPixels(page))?.hash).toBe(ownerBefore.hash)
    await typeInto(page, `touch ~/after-${run}`)
    await until(() => fileExists(container, `/home/user/after-${run}`), T, "the owner's later command ran")
    expect(await fileExists(container, `/home/user/viewer-${run}`)).toBe(false)
    expect(await fileExists(container, `/home/user/raw-${run}`)).toBe(false)
    // The guest's viewer shows what the owner typed: it is live, only its input goes nowhere.
    await waitForChange(g, guestBefore, T)
  })

  test("revoking the share ends the guest's viewer with the reason; shared again, Try again reconnects", async () => {
    const g = guest.page
    const [share] = await api<{ id: string }[]>(`/api/v1/sessions/${sessionId}/shares`, core.adminKey)
    const revoked = await fetch(`${core.url}/api/v1/sessions/${sessionId}/shares/${share?.id}`, {
      method: "DELETE",
      headers: { authorization: `Bearer ${core.adminKey}` },
    })
    expect(revoked.status).toBe(204)
    await phase(g, "ended", T)
    expect(await byTest(g, "viewer-ended").textContent()).toContain("revoked")

    await api(`/api/v1/sessions/${sessionId}/shares`, core.adminKey, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: "bob", level: "view" }),
    })
    await byTest(g, "viewer-reconnect").click()
    await phase(g, "connected")
    await waitForPicture(g, T)
  })

  test("stopping the session from My sessions ends both viewers and removes the container", async () => {
    const page = owner.page
    await page.goto("/sessions")
    await page.locator('[data-test="live-state"][data-live="live"]').waitFor({ timeout: T })
    const row = byTest(page, `session-${sessionId}`)
    await row.locator('[data-test="action-stop"]').click()
    await page.locator(".v-dialog").getByRole("button", { name: "Stop" }).click()
    // Stopped arrives through the event stream: nothing reloads the page or the list.
    await visible(row.locator('[data-test="state-stopped"]'), DESKTOP_T)
    await owner.shot("viewer-09-stopped-live")
    expect(await containerOf(sessionId)).toBe("")

    await phase(guest.page, "ended")
    expect(await byTest(guest.page, "viewer-ended").textContent()).toMatch(/stopp|no longer|does not exist/)
    await guest.shot("viewer-08-ended")
  })
})
