// Routes: agent registration and token management (admin).
import { Agent, AgentWithToken, IdParams, RegisterAgent } from "@streamspace/schemas"
import { Elysia, t } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import * as agents from "./service.ts"

export const agentRoutes = (deps: CoreDeps, http: HttpPlugins) =>
  new Elysia({ name: "agents", prefix: "/api/v1/agents" })
    .use(http)
    .get("/", () => agents.listAgents(deps), {
      auth: "operator",
      response: { 200: t.Array(Agent) },
      detail: { summary: "List agents with status, leader and capacity", tags: ["agents"] },
    })
    .post(
      "/",
      async ({ body, set, audit }) => {
        const created = await agents.registerAgent(deps, body)
        audit.targetId = created.id
        set.status = 201
        return created
      },
      {
        auth: "admin",
        audit: "agent.register",
        body: RegisterAgent,
        response: { 201: AgentWithToken },
        detail: { summary: "Register an agent; its token is shown only in this response", tags: ["agents"] },
      },
    )
    .get("/:id", ({ params }) => agents.getAgent(deps, params.id), {
      auth: "operator",
      params: IdParams,
      response: { 200: Agent },
      detail: { summary: "Get an agent", tags: ["agents"] },
    })
    .post("/:id/rotate-token", ({ params }) => agents.rotateAgentToken(deps, params.id), {
      auth: "admin",
      audit: "agent.rotate_token",
      params: IdParams,
      response: { 200: AgentWithToken },
      detail: { summary: "Issue a new token; the old one stops working at once", tags: ["agents"] },
    })
    .post("/:id/revoke", ({ params }) => agents.revokeAgent(deps, params.id), {
      auth: "admin",
      audit: "agent.revoke",
      params: IdParams,
      response: { 200: Agent },
      detail: { summary: "Revoke an agent: it is disconnected and refused from now on", tags: ["agents"] },
    })
