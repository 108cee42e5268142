// What a user can do with a session, per state.
import { isTerminal, type Session, type SessionState } from "@streamspace/schemas"

export type SessionActionId = "connect" | "hibernate" | "wake" | "share" | "stop" | "remove"

export interface SessionAction {
  id: SessionActionId
  label: string
  /** Asks before running: the action cannot be undone. */
  confirm: string | null
}

/** A viewer may open these: the relay waits for a starting session and wakes a hibernated one. */
export const canConnect = (state: SessionState) => !isTerminal(state) && state !== "stopping"

const ACTIONS: readonly (SessionAction & { offered: (s: Session) => boolean })[] = [
  { id: "connect", label: "Connect", confirm: null, offered: (s) => canConnect(s.state) },
  { id: "hibernate", label: "Hibernate", confirm: null, offered: (s) => s.state === "running" },
  { id: "wake", label: "Wake", confirm: null, offered: (s) => s.state === "hibernated" },
  { id: "share", label: "Share", confirm: null, offered: (s) => !isTerminal(s.state) && s.state !== "stopping" },
  {
    id: "stop",
    label: "Stop",
    confirm: "The session's container is removed. Files in your home folder are kept; anything else is lost.",
    offered: (s) => !isTerminal(s.state) && s.state !== "stopping",
  },
  { id: "remove", label: "Remove from list", confirm: null, offered: (s) => isTerminal(s.state) },
]

/** For the owner's own list (My sessions): sharing is the owner's call. */
export const actionsFor = (session: Session): SessionAction[] =>
  ACTIONS.filter((a) => a.offered(session)).map(({ offered: _, ...action }) => action)
