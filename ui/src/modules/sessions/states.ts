// How each session state looks in the portal: a label, a colour and whether it is on its way somewhere.
import type { SessionState } from "@streamspace/schemas"

export interface StateLook {
  label: string
  color: string
  /** The session is changing: show progress. */
  busy: boolean
}

export const STATE_LOOK: Readonly<Record<SessionState, StateLook>> = {
  pending: { label: "Pending", color: "info", busy: true },
  starting: { label: "Starting", color: "info", busy: true },
  running: { label: "Running", color: "success", busy: false },
  hibernating: { label: "Hibernating", color: "secondary", busy: true },
  hibernated: { label: "Hibernated", color: "secondary", busy: false },
  waking: { label: "Waking", color: "info", busy: true },
  stopping: { label: "Stopping", color: "warning", busy: true },
  stopped: { label: "Stopped", color: "grey", busy: false },
  failed: { label: "Failed", color: "error", busy: false },
}
