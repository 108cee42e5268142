// Round-trip latency to the desktop, measured with RFB fences (the Fence extension TigerVNC and noVNC
// speak): the viewer sends a ClientFence with the Request flag and a tagged payload; the VNC server
// answers with a ServerFence carrying the same payload as soon as it has read it. The time between
// is the full path: browser → control plane relay → agent → VNC server → back.
//
// noVNC 1.7 has no public API for this, and it treats any fence response as a protocol error, so
// the probe takes over its ServerFence handler on this one RFB instance: responses tagged by us are
// consumed here, everything else goes to noVNC as before. If the internals it relies on are
// missing (another noVNC version), the probe reports that latency is unavailable instead of breaking.
import type RFB from "@novnc/novnc"

interface Websock {
  rQlen(): number
  rQpeekBytes(len: number, copy?: boolean): Uint8Array
  rQskipBytes(len: number): void
  rQshift32(): number
  rQshift8(): number
  rQshiftStr(len: number): string
  sQpush8(n: number): void
  sQpush32(n: number): void
  sQpushString(s: string): void
  flush(): void
}
interface RfbInternals {
  _sock?: Websock
  _supportsFence?: boolean
  _handleServerFenceMsg?: () => boolean
}

const REQUEST = 0x80000000
const TAG = "ss-rtt:"
/** Fences still unanswered are forgotten after this long (a lost one must not pile up). */
const FORGET_MS = 30_000

export interface LatencyProbe {
  /** Sends one fence now; false when the server has not shown it speaks fences (yet). */
  ping(): boolean
  /** Age in ms of the oldest fence still unanswered, or null: the round trip takes at least that. */
  waiting(): number | null
  stop(): void
}

/** Hooks the probe into a connected RFB; null when this noVNC lacks what it needs. */
export function attachLatencyProbe(rfb: RFB, onSample: (ms: number) => void, now = () => performance.now()): LatencyProbe | null {
  const internals = rfb as unknown as RfbInternals
  const sock = internals._sock
  const original = internals._handleServerFenceMsg
  if (!sock || typeof original !== "function" || typeof sock.rQpeekBytes !== "function") return null
  const sent = new Map<string, number>()
  let next = 0

  internals._handleServerFenceMsg = function (this: RfbInternals) {
    // The message type byte is already read: 3 padding bytes, flags (4), payload length (1), payload.
    if (sock.rQlen() < 8) return original.call(this)
    const head = sock.rQpeekBytes(8)
    const flags = new DataView(head.buffer, head.byteOffset, 8).getUint32(3)
    const length = head[7] as number
    if (flags & REQUEST || length > 64 || sock.rQlen() < 8 + length) return original.call(this)
    sock.rQskipBytes(3)
    sock.rQshift32()
    sock.rQshift8()
    const payload = sock.rQshiftStr(length)
    const started = sent.get(payload)
    if (started !== undefined) {
      sent.delete(payload)
      onSample(now() - started)
    }
    // A response to a fence someone else asked for is dropped rather than failing the connection.
    return true
  }

  return {
    ping() {
      if (!internals._supportsFence) return false
      const t = now()
      for (const [id, at] of sent) if (t - at > FORGET_MS) sent.delete(id)
      const payload = `${TAG}${next++}`
      sent.set(payload, t)
      // ClientFence: type 248, 3 padding bytes, flags, length, payload (RFB Fence extension).
      sock.sQpush8(248)
      sock.sQpush8(0)
      sock.sQpush8(0)
      sock.sQpush8(0)
      sock.sQpush32(REQUEST)
      sock.sQpush8(payload.length)
      sock.sQpushString(payload)
      sock.flush()
      return true
    },
    waiting() {
      let oldest: number | null = null
      for (const at of sent.values()) oldest = oldest === null ? at : Math.min(oldest, at)
      return oldest === null ? null : now() - oldest
    },
    stop() {
      internals._handleServerFenceMsg = original
      sent.clear()
    },
  }
}
