// Agent registration: admins register agents, rotate and revoke their tokens.
import type { Agent, AgentWithToken, RegisterAgent } from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { Conflict, NotFound } from "../../http/errors.ts"
import { hashSecret, newSecret } from "../../infra/ids.ts"
import * as repo from "./repo.ts"

export const AGENT_TOKEN_PREFIX = "ssa"

export async function registerAgent(deps: CoreDeps, input: RegisterAgent): Promise<AgentWithToken> {
  const token = newSecret(AGENT_TOKEN_PREFIX)
  try {
    const agent = await repo.insertAgent(deps.sql, input, hashSecret(token))
    return { ...agent, token }
  } catch (e) {
    if ((e as { code?: string }).code === "23505")
      throw new Conflict(`An agent named ${input.name} is registered already.`, "AGENT_NAME_TAKEN")
    throw e
  }
}

export const listAgents = (deps: CoreDeps) => repo.listAgents(deps.sql)

export async function getAgent(deps: CoreDeps, id: string): Promise<Agent> {
  const agent = await repo.findAgent(deps.sql, id)
  if (!agent) throw new NotFound("That agent")
  return agent
}

export const findAgentByName = (deps: CoreDeps, name: string) => repo.findAgentByName(deps.sql, name)

/** The agent a connecting client proves to be, or null for an unknown or revoked token. */
export const authenticateAgent = (deps: CoreDeps, token: string) => repo.findAgentByTokenHash(deps.sql, hashSecret(token))

/** A new token replaces the old at once; connections made with the old one are dropped. */
export async function rotateAgentToken(deps: CoreDeps, id: string): Promise<AgentWithToken> {
  const token = newSecret(AGENT_TOKEN_PREFIX)
  const agent = await repo.rotateAgentToken(deps.sql, id, hashSecret(token))
  if (!agent) {
    await getAgent(deps, id)
    throw new Conflict("A revoked agent cannot get a new token. Register it again.", "AGENT_REVOKED")
  }
  deps.agentConnections?.disconnect(id, "token revoked")
  return { ...agent, token }
}

export async function revokeAgent(deps: CoreDeps, id: string): Promise<Agent> {
  const agent = await repo.revokeAgent(deps.sql, id)
  if (!agent) throw new NotFound("That agent")
  deps.agentConnections?.disconnect(id, "token revoked")
  return agent
}
