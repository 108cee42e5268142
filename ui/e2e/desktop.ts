// Helpers for end-to-end tests that look at a real desktop in the viewer: canvas pixels and files in the session's container.
import type { Page } from "playwright-core"

/** JWM's task bar at the bottom of the remote screen shows a clock: left out of comparisons. */
const TRAY_PX = 24

export interface Pixels {
  width: number
  height: number
  /** Distinct colours among the sampled pixels (a blank screen has one). */
  colours: number
  /** FNV-1a over the sampled pixels above the task bar. */
  hash: string
}

/** Reads the noVNC canvas (remote framebuffer pixels, whatever the CSS scaling) in the page. */
export function screenPixels(page: Page): Promise<Pixels | null> {
  return page.evaluate((tray) => {
    const canvas = document.querySelector<HTMLCanvasElement>('[data-test="viewer-screen"] canvas')
    if (!canvas || canvas.width === 0 || canvas.height <= tray) return null
    const height = canvas.height - tray
    const data = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, height).data
    const colours = new Set<number>()
    let h = 0x811c9dc5
    // Every second pixel of every second row: text strokes are at least a pixel wide and tall.
    for (let y = 0; y < height; y += 2)
      for (let x = 0; x < canvas.width; x += 2) {
        const i = (y * canvas.width + x) * 4
        const rgb = ((data[i] as number) << 16) | ((data[i + 1] as number) << 8) | (data[i + 2] as number)
        if (colours.size < 4096) colours.add(rgb)
        h = Math.imul(h ^ rgb, 0x01000193) >>> 0
      }
    return { width: canvas.width, height: canvas.height, colours: colours.size, hash: h.toString(16) }
  }, TRAY_PX)
}

/** Waits until the canvas holds a picture (several colours: desktop, window, text) and returns it. */
export async function waitForPicture(page: Page, timeoutMs: number): Promise<Pixels> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const px = await screenPixels(page)
    if (px && px.colours >= 3) return px
    if (Date.now() > deadline) throw new Error(`The viewer's canvas stayed blank: ${JSON.stringify(px)}`)
    await page.waitForTimeout(250)
  }
}

/** Waits until the picture above the task bar differs from `before`. */
export async function waitForChange(page: Page, before: Pixels, timeoutMs: number): Promise<Pixels> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const px = await screenPixels(page)
    if (px && px.hash !== before.hash) return px
    if (Date.now() > deadline) throw new Error("The viewer's picture did not change")
    await page.waitForTimeout(200)
  }
}

/** Waits until the picture stops changing for `quietMs` (xterm finished drawing) and returns it. */
export async function waitForStill(page: Page, quietMs: number, timeoutMs: number): Promise<Pixels> {
  const deadline = Date.now() + timeoutMs
  let last = await screenPixels(page)
  let since = Date.now()
  for (;;) {
    await page.waitForTimeout(150)
    const px = await screenPixels(page)
    if (px?.hash !== last?.hash) {
      last = px
      since = Date.now()
    } else if (px && Date.now() - since >= quietMs) return px
    if (Date.now() > deadline) throw new Error("The viewer's picture kept changing")
  }
}

async function docker(...args: string[]): Promise<{ code: number; out: string }> {
  const p = Bun.spawn(["docker", ...args], { stdout: "pipe", stderr: "pipe" })
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited])
  return { code, out: out.trim() }
}

/** The session's container id, or "" when none runs. */
export const containerOf = async (sessionId: string) =>
  (await docker("ps", "-q", "--filter", `label=streamspace.session=${sessionId}`)).out

/** Whether a file exists in the session's container (a typed command's effect, seen from outside). */
export const fileExists = async (container: string, path: string) =>
  (await docker("exec", container, "test", "-e", path)).code === 0

/** Whether the session's xterm runs (after a start or a wake the desktop draws before xterm maps its window). */
export const xtermRuns = async (container: string) => (await docker("exec", container, "pgrep", "-x", "xterm")).code === 0

export const readFile = async (container: string, path: string) => (await docker("exec", container, "cat", path)).out

export async function until(probe: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await Bun.sleep(200)
  }
}

/**
 * From inside the page, opens the session's desktop WebSocket with a fresh ticket and a hand-made
 * RFB client (no noVNC, so no viewOnly flag), types `text` + Enter as KeyEvents, then waits for the
 * answer to a FramebufferUpdateRequest sent after them: RFB is in order, so by then the VNC server
 * has read every key the relay let through. Resolves with the share level the ticket carried.
 */
export function typeBehindTheViewer(page: Page, sessionId: string, apiKey: string, text: string): Promise<string> {
  return page.evaluate(
    async ({ sessionId, apiKey, text }) => {
      const res = await fetch(`/api/v1/sessions/${sessionId}/connect`, {
        method: "POST",
        headers: { authorization: `Bearer ${apiKey}` },
      })
      if (!res.ok) throw new Error(`connect answered ${res.status}`)
      const ticket = (await res.json()) as { url: string; level: string }
      const ws = new WebSocket(`ws://${location.host}${ticket.url}`)
      ws.binaryType = "arraybuffer"
      let buffer = new Uint8Array(0)
      let wake: (() => void) | null = null
      ws.onmessage = (e) => {
        const next = new Uint8Array(buffer.length + (e.data as ArrayBuffer).byteLength)
        next.set(buffer)
        next.set(new Uint8Array(e.data as ArrayBuffer), buffer.length)
        buffer = next
        wake?.()
      }
      const closed = new Promise<never>((_, reject) => {
        ws.onclose = (e) => reject(new Error(`the relay closed the stream: ${e.code} ${e.reason}`))
      })
      const read = async (n: number): Promise<Uint8Array> => {
        while (buffer.length < n) await Promise.race([new Promise<void>((r) => (wake = r)), closed])
        const out = buffer.slice(0, n)
        buffer = buffer.slice(n)
        return out
      }
      await Promise.race([new Promise((r) => (ws.onopen = r)), closed])
      await read(12) // ProtocolVersion
      ws.send(new TextEncoder().encode("RFB 003.008\n"))
      const [count] = await read(1)
      const types = await read(count as number)
      if (!types.includes(1)) throw new Error(`no "None" security offered: ${[...types]}`)
      ws.send(Uint8Array.of(1))
      const result = new DataView((await read(4)).buffer).getUint32(0)
      if (result !== 0) throw new Error(`security result ${result}`)
      ws.send(Uint8Array.of(1)) // ClientInit, shared
      const init = await read(24)
      await read(new DataView(init.buffer).getUint32(20)) // desktop name
      const key = (keysym: number, down: boolean) => {
        const m = new DataView(new ArrayBuffer(8))
        m.setUint8(0, 4)
        m.setUint8(1, down ? 1 : 0)
        m.setUint32(4, keysym)
        ws.send(m.buffer)
      }
      for (const ch of text) {
        key(ch.charCodeAt(0), true)
        key(ch.charCodeAt(0), false)
      }
      key(0xff0d, true) // Return
      key(0xff0d, false)
      // Non-incremental FramebufferUpdateRequest for one pixel: the server answers it soon.
      ws.send(Uint8Array.of(3, 0, 0, 0, 0, 0, 0, 1, 0, 1))
      await read(1)
      ws.close()
      return ticket.level
    },
    { sessionId, apiKey, text },
  )
}

/**
 * Where to click to put X's focus into the xterm: the middle of its white text area, found in the
 * canvas, in CSS pixels relative to the canvas element (what playwright's click position takes).
 */
export interface XtermSpot {
  /** The middle of the text area, in CSS pixels relative to the canvas element. */
  x: number
  y: number
  /** Top-left of the text area in remote pixels, and CSS pixels per remote pixel. */
  left: number
  top: number
  scaleX: number
  scaleY: number
}

export async function xtermSpot(page: Page, timeoutMs: number): Promise<XtermSpot> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const spot = await page.evaluate(() => {
      const canvas = document.querySelector<HTMLCanvasElement>('[data-test="viewer-screen"] canvas')
      if (!canvas || canvas.width === 0) return null
      const data = (canvas.getContext("2d") as CanvasRenderingContext2D).getImageData(0, 0, canvas.width, canvas.height).data
      // The text area is the only large white block: rows and columns with many white pixels. (White
      // text elsewhere — title, task bar — is thin; a click on the bare desktop opens JWM's root menu,
      // which takes the keyboard.)
      const rows = new Uint32Array(canvas.height)
      const cols = new Uint32Array(canvas.width)
      for (let y = 0; y < canvas.height; y += 2)
        for (let x = 0; x < canvas.width; x += 2) {
          const i = (y * canvas.width + x) * 4
          if (data[i] === 255 && data[i + 1] === 255 && data[i + 2] === 255) {
            rows[y] = (rows[y] as number) + 1
            cols[x] = (cols[x] as number) + 1
          }
        }
      const span = (counts: Uint32Array) => {
        const wide = [...counts.keys()].filter((k) => (counts[k] as number) > 50)
        return wide.length ? [wide[0] as number, wide.at(-1) as number] : [0, -1]
      }
      const [x0, x1] = span(cols) as [number, number]
      const [y0, y1] = span(rows) as [number, number]
      if (x1 - x0 < 100 || y1 - y0 < 100) return null
      const rect = canvas.getBoundingClientRect()
      const scaleX = rect.width / canvas.width
      const scaleY = rect.height / canvas.height
      return { x: ((x0 + x1) / 2) * scaleX, y: ((y0 + y1) / 2) * scaleY, left: x0, top: y0, scaleX, scaleY }
    })
    if (spot) return spot
    if (Date.now() > deadline) throw new Error("No xterm window on the viewer's canvas")
    await page.waitForTimeout(250)
  }
}
