// Names and labels by which the Kubernetes driver finds what it owns in its namespace.
import { createHash } from "node:crypto"

export const LABEL = {
  managed: "app.kubernetes.io/managed-by",
  /** Which agent owns the objects: list and reconcile never touch another agent's sessions in a shared namespace. */
  agent: "streamspace.io/agent",
  session: "streamspace.io/session",
  user: "streamspace.io/user",
  template: "streamspace.io/template",
  /** The object's part in a session: workload, home, vnc-secret, network-policy. */
  component: "streamspace.io/component",
} as const

export const MANAGED_BY = "streamspace"

/** vncTarget gets only a session id, so the port the template named travels with the Deployment. */
export const VNC_PORT_ANNOTATION = "streamspace.io/vnc-port"

/** Deployment, Secret and NetworkPolicy of a session share one name: `ss-<session id>` (39 characters, a DNS label). */
export const sessionObjectName = (sessionId: string): string => `ss-${sessionId}`

/**
 * One home per user and template, kept across that user's sessions of the template. Hashed because
 * user id + template name can pass the 63-character limit of a label value and a name's readability is not worth it.
 */
export const homeClaimName = (agentName: string, userId: string, templateName: string): string =>
  `home-${createHash("sha256").update(`${agentName}\0${userId}\0${templateName}`).digest("hex").slice(0, 24)}`

/** Label selector for "managed by this agent". */
export const ownedSelector = (agentName: string): string => `${LABEL.managed}=${MANAGED_BY},${LABEL.agent}=${agentName}`

export const sessionSelector = (agentName: string, sessionId: string): string =>
  `${ownedSelector(agentName)},${LABEL.session}=${sessionId}`
