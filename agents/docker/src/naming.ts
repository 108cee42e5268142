// Names and labels by which the Docker driver finds what it owns on a shared Docker host.

export const LABEL = {
  managed: "streamspace.managed",
  /** Which agent owns the container: list and reconcile never touch another agent's sessions. */
  agent: "streamspace.agent",
  session: "streamspace.session",
  user: "streamspace.user",
  template: "streamspace.template",
  /** vncTarget gets only a session id, so the port the template named travels with the container. */
  vncPort: "streamspace.vnc-port",
} as const

/** The agent's name is part of it so two agents sharing a Docker host never claim each other's containers. */
export const containerName = (agentName: string, sessionId: string): string => `streamspace-${agentName}-${sessionId}`

/** One home per user and template, kept across that user's sessions of the template. */
export const homeVolumeName = (userId: string, templateName: string): string => `streamspace-home-${userId}-${templateName}`

export const networkName = (base: string, allowOutbound: boolean): string => (allowOutbound ? `${base}-outbound` : base)

/** Docker's filter syntax for "managed by this agent". */
export const ownedBy = (agentName: string): string[] => [`${LABEL.managed}=true`, `${LABEL.agent}=${agentName}`]
