// The replica-to-replica stream endpoint: another replica's viewer reaches a session whose agent is connected here.
import { creditOf, DEFAULT_STREAM_WINDOW, decodeFrame, FrameKind, StreamFlow, Uuid } from "@streamspace/schemas"
import type { ServerWebSocket } from "bun"
import { Elysia, t } from "elysia"
import { MalformedRequest, Unauthenticated } from "../../http/errors.ts"
import type { Logger } from "../../infra/log.ts"
import { LINK_STREAM_ID, REPLICA_STREAM_PATH } from "./remote-stream.ts"
import { verifyReplicaRequest } from "./replica-auth.ts"
import type { AgentStream, StreamHandlers } from "./streams.ts"

export interface LocalStreams {
  /** A stream to the session through an agent connected to this replica (never a second hop). */
  openLocalStream(sessionId: string, handlers: StreamHandlers, timeoutMs?: number): Promise<AgentStream>
}

interface LinkSocket {
  open(ws: ServerWebSocket<LinkSocket>): void
  message(ws: ServerWebSocket<LinkSocket>, data: string | Buffer): void
  drain(ws: ServerWebSocket<LinkSocket>): void
  close(ws: ServerWebSocket<LinkSocket>, code: number, reason: string): void
}

/** One linked stream: agent stream ⇄ this socket, credit passed through so neither side buffers without bound. */
function linkSocket(streams: LocalStreams, sessionId: string, peerWindow: number, log: Logger): LinkSocket {
  let stream: AgentStream | null = null
  let flow: StreamFlow | null = null
  let socket: ServerWebSocket<LinkSocket> | null = null
  /** Bytes from the other replica the agent has not taken yet: credit goes back once it drains. */
  let held = 0
  let ended = false
  const end = (reason: string, code = 1000) => {
    if (ended) return
    ended = true
    stream?.close(reason)
    socket?.close(code, reason.slice(0, 120))
  }
  return {
    open: (ws) => {
      socket = ws
      streams
        .openLocalStream(sessionId, {
          manualCredit: true,
          onData: (bytes) => flow?.write(bytes),
          onDrain: () => {
            if (held === 0) return
            const n = held
            held = 0
            flow?.consumed(n)
          },
          onClose: (reason) => end(reason),
        })
        .then((s) => {
          if (ended) return s.close("the other replica left before the stream opened")
          stream = s
          flow = new StreamFlow(LINK_STREAM_ID, DEFAULT_STREAM_WINDOW, peerWindow, (frame) => ws.sendBinary(frame))
          ws.send(JSON.stringify({ type: "opened", credit: DEFAULT_STREAM_WINDOW }))
        })
        .catch((err: Error) => end(err.message, 1013))
    },
    message: (_ws, data) => {
      if (ended) return
      if (typeof data === "string") {
        let m: { type?: string; reason?: string } | null = null
        try {
          m = JSON.parse(data)
        } catch {}
        return end(m?.type === "close" ? (m.reason ?? "closed by the other replica") : "unexpected text frame", 1000)
      }
      const frame = flow && stream ? decodeFrame(data) : null
      if (!frame || !flow || !stream) return end("malformed or early frame", 1008)
      if (frame.kind === FrameKind.credit) {
        // The viewer took these bytes over there: the agent may send as many more.
        flow.granted(creditOf(frame))
        stream.consumed(creditOf(frame))
        return
      }
      if (!flow.received(frame.payload.byteLength)) return end("the other replica sent more than its credit", 1008)
      if (stream.write(frame.payload)) flow.consumed(frame.payload.byteLength)
      else held += frame.payload.byteLength
    },
    drain: () => {},
    close: () => {
      if (!ended) log.debug({ sessionId }, "replica link closed by the other replica")
      end("the other replica closed the link")
    },
  }
}

export const replicaStreamRoute = (secret: string, streams: LocalStreams, log: Logger) =>
  new Elysia({ name: "replica-streams" }).get(
    `${REPLICA_STREAM_PATH}/:sessionId`,
    ({ params, query, request, server }) => {
      if (!verifyReplicaRequest(secret, request.headers, params.sessionId))
        throw new Unauthenticated("Only another StreamSpace replica may open this stream (signed request expected).")
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !server)
        throw new MalformedRequest("This endpoint links replicas over WebSocket; send an upgrade request.")
      const data = linkSocket(streams, params.sessionId, Number(query.window), log)
      if (server.upgrade(request, { data })) return
      throw new MalformedRequest("The WebSocket upgrade failed.")
    },
    {
      params: t.Object({ sessionId: Uuid }),
      query: t.Object({ window: t.String({ pattern: "^[1-9][0-9]{3,7}$" }) }),
      detail: { hide: true },
    },
  )
