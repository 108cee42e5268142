// A session stream whose agent sits on another replica: a signed WebSocket to that replica, with the same credit flow as the agent link.
import { creditOf, DEFAULT_STREAM_WINDOW, decodeFrame, FrameKind, StreamFlow } from "@streamspace/schemas"
import { signReplicaRequest } from "./replica-auth.ts"
import { type AgentStream, type StreamHandlers, StreamOpenFailed } from "./streams.ts"

/** The one stream a replica link carries. */
export const LINK_STREAM_ID = 1
export const REPLICA_STREAM_PATH = "/internal/v1/streams"

export interface RemoteTarget {
  url: string
  secret: string
  /** This replica, who asks. */
  replicaId: string
}

/**
 * Bytes from the session are forwarded at once; the other replica returns credit to the agent only
 * as this end reports them consumed, so a slow viewer here slows the desktop there (end-to-end backpressure).
 */
export function openRemoteStream(
  target: RemoteTarget,
  sessionId: string,
  handlers: StreamHandlers,
  timeoutMs: number,
): Promise<AgentStream> {
  const url = `${target.url.replace(/^http/, "ws")}${REPLICA_STREAM_PATH}/${sessionId}?window=${DEFAULT_STREAM_WINDOW}`
  const headers = signReplicaRequest(target.secret, target.replicaId, sessionId)
  // Bun's WebSocket takes headers: this is a server talking to a server.
  // No permessage-deflate: desktop pixels are already encoded, deflating them again only costs CPU.
  const ws = new WebSocket(url, { headers, perMessageDeflate: false } as unknown as string[])
  ws.binaryType = "arraybuffer"
  let flow: StreamFlow | null = null
  let ended = false
  return new Promise<AgentStream>((resolve, reject) => {
    const timer = setTimeout(() => fail(`the other replica did not open the stream within ${timeoutMs} ms`), timeoutMs)
    const fail = (reason: string) => {
      if (ended) return
      ended = true
      clearTimeout(timer)
      if (!flow) reject(new StreamOpenFailed(reason))
      else handlers.onClose(reason)
      if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000, "closed")
    }
    ws.addEventListener("message", (e) => {
      if (ended) return
      if (typeof e.data === "string") {
        let m: { type?: string; credit?: number; reason?: string }
        try {
          m = JSON.parse(e.data)
        } catch {
          return fail("the other replica sent a malformed message")
        }
        if (m.type === "opened" && !flow && typeof m.credit === "number") {
          clearTimeout(timer)
          const f = new StreamFlow(LINK_STREAM_ID, DEFAULT_STREAM_WINDOW, m.credit, (frame) => ws.send(frame))
          flow = f
          resolve({
            streamId: LINK_STREAM_ID,
            sessionId,
            write: (bytes) => !ended && f.write(bytes),
            consumed: (n) => !ended && f.consumed(n),
            close: (reason = "closed by the control plane") => {
              if (ended) return
              ended = true
              ws.close(1000, reason.slice(0, 120))
              handlers.onClose(reason)
            },
          })
        } else if (m.type === "close") fail(m.reason ?? "closed by the other replica")
        return
      }
      const frame = flow ? decodeFrame(new Uint8Array(e.data as ArrayBuffer)) : null
      if (!frame || !flow) return fail("the other replica sent a malformed frame")
      if (frame.kind === FrameKind.credit) {
        if (flow.granted(creditOf(frame))) handlers.onDrain?.()
        return
      }
      if (!flow.received(frame.payload.byteLength)) return fail("the other replica sent more than its credit")
      handlers.onData(frame.payload)
      if (!handlers.manualCredit) flow.consumed(frame.payload.byteLength)
    })
    ws.addEventListener("close", (e) => fail(e.reason || `the link to the other replica closed (${e.code})`))
    ws.addEventListener("error", () => fail("the other replica could not be reached"))
  })
}
