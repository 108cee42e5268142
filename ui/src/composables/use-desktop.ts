// One session's desktop in a page: ticket → WebSocket → noVNC, with reconnects (a new ticket each
// time, backoff between), latency samples, clipboard both ways, scaling and shortcut keys.
import type { SessionState, ShareLevel, ViewerTicket } from "@streamspace/schemas"
import RFB from "@novnc/novnc"
import { onBeforeUnmount, type Ref, ref, shallowRef, watch } from "vue"
import { call } from "@/api/client.ts"
import { asApiError } from "@/api/problem.ts"
import { attachLatencyProbe, type LatencyProbe } from "@/modules/viewer/latency.ts"
import { afterClose, afterTicketError, type Verdict } from "@/modules/viewer/reconnect.ts"
import { type Shortcut, strokes } from "@/modules/viewer/shortcuts.ts"

/**
 * idle: nothing yet · ticket: asking the control plane · waiting: the stream is open and the
 * relay waits for the session to run (starting, waking) · connected · retrying: waiting before
 * the next attempt · ended: given up or left (see `message`).
 */
export type DesktopPhase = "idle" | "ticket" | "waiting" | "connected" | "retrying" | "ended"
/** fit: scale to the window · actual: 1:1 with scroll bars · remote: resize the remote screen to the window. */
export type Scaling = "fit" | "actual" | "remote"

const LATENCY_EVERY_MS = 2_000
/** A connection that lasted this long counts as a success: the next drop starts the backoff anew. */
const STABLE_MS = 10_000

export function useDesktop(sessionId: Ref<string>, screen: Ref<HTMLElement | null>) {
  const phase = ref<DesktopPhase>("idle")
  const message = ref<string | null>(null)
  const level = ref<ShareLevel | null>(null)
  /** As the last ticket saw it, then running once the desktop answers: what "waiting" waits for. */
  const sessionState = ref<SessionState | null>(null)
  const desktopName = ref("")
  const latencyMs = ref<number | null>(null)
  /** False when the server or this noVNC cannot measure it. */
  const latencyAvailable = ref(true)
  const remoteClipboard = ref("")
  const attempt = ref(0)
  const retryAt = ref<number | null>(null)
  const scaling = ref<Scaling>("fit")
  const rfb = shallowRef<RFB | null>(null)

  let probe: LatencyProbe | null = null
  let latencyTimer: ReturnType<typeof setInterval> | undefined
  let retryTimer: ReturnType<typeof setTimeout> | undefined
  let connectedAt = 0
  /** Bumped by every new attempt and by leaving: callbacks of an older connection then do nothing. */
  let generation = 0

  function applyScaling() {
    const r = rfb.value
    if (!r) return
    const remote = scaling.value === "remote" && level.value === "control"
    r.scaleViewport = scaling.value === "fit"
    r.clipViewport = false
    r.resizeSession = remote
  }
  watch(scaling, applyScaling)

  function teardown() {
    clearInterval(latencyTimer)
    clearTimeout(retryTimer)
    probe?.stop()
    probe = null
    const r = rfb.value
    rfb.value = null
    if (r) {
      try {
        r.disconnect()
      } catch {
        // Already disconnected: noVNC throws on a second disconnect in some states.
      }
    }
  }

  function settle(verdict: Verdict, mine: number) {
    if (mine !== generation) return
    teardown()
    latencyMs.value = null
    if (!verdict.retry) {
      phase.value = "ended"
      message.value = verdict.message
      retryAt.value = null
      return
    }
    phase.value = "retrying"
    retryAt.value = Date.now() + verdict.delayMs
    retryTimer = setTimeout(() => void attemptConnect(), verdict.delayMs)
  }

  async function attemptConnect() {
    const mine = ++generation
    teardown()
    attempt.value += 1
    phase.value = "ticket"
    retryAt.value = null
    let ticket: ViewerTicket
    try {
      ticket = await call((api) => api.sessions({ id: sessionId.value }).connect.post())
    } catch (e) {
      settle(afterTicketError(asApiError(e), attempt.value), mine)
      return
    }
    const target = screen.value
    if (mine !== generation || !target) return
    level.value = ticket.level
    sessionState.value = ticket.state
    message.value = null
    phase.value = "waiting"

    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:"
    const ws = new WebSocket(`${scheme}//${window.location.host}${ticket.url}`)
    let closed = { code: 1006, reason: "" }
    // Registered before noVNC's own handler, so the relay's code and reason are known when noVNC reports.
    ws.addEventListener("close", (e) => {
      closed = { code: e.code, reason: e.reason }
    })
    const r = new RFB(target, ws, { shared: true })
    rfb.value = r
    r.viewOnly = ticket.level === "view"
    r.background = "rgb(var(--v-theme-surface-variant))"
    applyScaling()
    r.addEventListener("connect", () => {
      if (mine !== generation) return
      phase.value = "connected"
      sessionState.value = "running"
      connectedAt = Date.now()
      startLatency(r, mine)
      r.focus()
    })
    r.addEventListener("desktopname", (e) => {
      desktopName.value = e.detail.name
    })
    r.addEventListener("clipboard", (e) => {
      remoteClipboard.value = e.detail.text
    })
    r.addEventListener("disconnect", () => {
      // teardown() unsets rfb before it disconnects: that disconnect is ours and decides nothing.
      if (mine !== generation || rfb.value !== r) return
      if (phase.value === "connected" && Date.now() - connectedAt >= STABLE_MS) attempt.value = 0
      settle(afterClose(closed, Math.max(1, attempt.value)), mine)
    })
  }

  function startLatency(r: RFB, mine: number) {
    probe = attachLatencyProbe(r, (ms) => {
      if (mine === generation) latencyMs.value = Math.round(ms)
    })
    latencyAvailable.value = probe !== null
    if (!probe) return
    const ping = () => {
      if (!probe) return
      // A stalled stream answers no fence: show the wait so far, which the round trip is at least.
      const waiting = probe.waiting()
      if (waiting !== null && waiting > 2 * LATENCY_EVERY_MS) latencyMs.value = Math.round(waiting)
      // The server announces fence support right after the handshake; until then there is nothing to send.
      if (!probe.ping() && Date.now() - connectedAt > 10_000) latencyAvailable.value = false
    }
    ping()
    latencyTimer = setInterval(ping, LATENCY_EVERY_MS)
  }

  /** Starts (or restarts, after giving up) connecting; the attempt count starts again. */
  function connect() {
    attempt.value = 0
    message.value = null
    desktopName.value = ""
    latencyMs.value = null
    void attemptConnect()
  }

  function leave() {
    generation += 1
    teardown()
    phase.value = "idle"
  }

  function sendShortcut(shortcut: Pick<Shortcut, "keys">) {
    const r = rfb.value
    if (!r || level.value !== "control") return
    for (const { key, down } of strokes(shortcut)) r.sendKey(key.keysym, key.code, down)
    r.focus()
  }

  /** Puts text on the remote clipboard (the desktop's applications paste it from there). */
  function sendClipboard(text: string) {
    if (level.value === "control") rfb.value?.clipboardPasteFrom(text)
  }

  const focus = () => rfb.value?.focus()

  onBeforeUnmount(leave)

  return {
    phase,
    message,
    level,
    sessionState,
    desktopName,
    latencyMs,
    latencyAvailable,
    remoteClipboard,
    attempt,
    retryAt,
    scaling,
    connect,
    leave,
    sendShortcut,
    sendClipboard,
    focus,
  }
}
