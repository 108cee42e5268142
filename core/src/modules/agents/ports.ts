// What the agent registry needs from the hub that holds live agent connections.
export interface AgentConnections {
  /** Close every live connection of this agent (its token changed or was revoked). */
  disconnect(agentId: string, reason: string): void
}
