// The short-lived, single-use ticket a browser presents to open a session's desktop stream.
import { type Static, Type } from "@sinclair/typebox"
import { Timestamp } from "./common.ts"
import { SessionState } from "./session.ts"
import { ShareLevel } from "./share.ts"

export const ViewerTicket = Type.Object({
  ticket: Type.String({ description: "Present once, as ?ticket=, within seconds" }),
  expiresAt: Timestamp,
  url: Type.String({ description: "Path of the WebSocket to open on this host, ticket included" }),
  level: ShareLevel,
  /** The session's state at issue: the viewer shows what it waits for (starting, waking). */
  state: SessionState,
})
export type ViewerTicket = Static<typeof ViewerTicket>

export const ViewerTicketQuery = Type.Object({ ticket: Type.String({ minLength: 1, maxLength: 128 }) })
