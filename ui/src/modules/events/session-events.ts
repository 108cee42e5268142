// What a live session event means for the portal's lists: which row to fetch again, drop, or
// whether "Shared with me" changed. Events carry ids only; the rows come from the REST API.
import { EVENT_TYPES, type StreamSpaceEvent } from "@streamspace/schemas"

export const SESSION_EVENT_TYPES = EVENT_TYPES.filter((t) => t.startsWith("session."))

export type SessionUpdate =
  | { kind: "refetch"; sessionId: string }
  | { kind: "remove"; sessionId: string }
  | { kind: "shared"; sessionId: string }
  | { kind: "idle-warning"; sessionId: string; action: "hibernate" | "stop"; deadline: number }
  | { kind: "idle-cleared"; sessionId: string }
  | null

/** `me`: the signed-in user's id. Admins hear every user's events; only their own rows are theirs. */
export function sessionUpdateOf(event: StreamSpaceEvent, me: string): SessionUpdate {
  if (!event.type.startsWith("session.")) return null
  const { sessionId, userId } = event.data
  if (typeof sessionId !== "string" || typeof userId !== "string") return null
  // Idle warnings change no row: the viewer shows a countdown instead.
  if (event.type === "session.idle_warning") {
    const { action, deadline } = event.data as { action?: unknown; deadline?: unknown }
    const at = typeof deadline === "string" ? Date.parse(deadline) : Number.NaN
    if ((action !== "hibernate" && action !== "stop") || Number.isNaN(at)) return null
    return { kind: "idle-warning", sessionId, action, deadline: at }
  }
  if (event.type === "session.idle_warning_cleared") return { kind: "idle-cleared", sessionId }
  if (userId !== me) return { kind: "shared", sessionId }
  return event.type === "session.deleted" ? { kind: "remove", sessionId } : { kind: "refetch", sessionId }
}
