// What a user can do with a session, per state. Each action is listed only once the control plane
// offers its route: hibernate, wake, connect and share join here when the agent hub and VNC relay land.
import { isTerminal, type Session } from "@streamspace/schemas"

export type SessionActionId = "stop" | "remove"

export interface SessionAction {
  id: SessionActionId
  label: string
  /** Asks before running: the action cannot be undone. */
  confirm: string | null
}

const ACTIONS: readonly (SessionAction & { offered: (s: Session) => boolean })[] = [
  {
    id: "stop",
    label: "Stop",
    confirm: "The session's container is removed. Files in your home folder are kept; anything else is lost.",
    offered: (s) => !isTerminal(s.state) && s.state !== "stopping",
  },
  { id: "remove", label: "Remove from list", confirm: null, offered: (s) => isTerminal(s.state) },
]

export const actionsFor = (session: Session): SessionAction[] =>
  ACTIONS.filter((a) => a.offered(session)).map(({ offered: _, ...action }) => action)
