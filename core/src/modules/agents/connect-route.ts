// The agents' WebSocket endpoint: the token is checked before the upgrade; then every frame goes to the hub.
import { Elysia } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import { MalformedRequest, Unauthenticated } from "../../http/errors.ts"
import type { AgentConnection, SocketData } from "./connection.ts"
import type { AgentHub } from "./hub.ts"
import { authenticateAgent } from "./service.ts"

export const AGENT_CONNECT_PATH = "/api/v1/agents/connect"

export const agentConnectRoute = (deps: CoreDeps, hub: AgentHub) =>
  new Elysia({ name: "agent-connect" }).get(
    AGENT_CONNECT_PATH,
    async ({ request, server }) => {
      const token = /^Bearer\s+(ssa_\S+)$/i.exec(request.headers.get("authorization") ?? "")?.[1]
      if (!token) throw new Unauthenticated("Agents connect with the header `Authorization: Bearer ssa_…` (the agent's token).")
      const agent = await authenticateAgent(deps, token)
      if (!agent)
        throw new Unauthenticated("This agent token is invalid or revoked. Register the agent again or rotate its token.")
      if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !server)
        throw new MalformedRequest("This endpoint speaks the agent protocol over WebSocket; send an upgrade request.")
      // Bun hands socket events to `ws.data` (Elysia's dispatcher does the same for its own ws routes):
      // the hub sees raw frames, so it can check their size and shape before anything parses them.
      let conn: AgentConnection | null = null
      const data: SocketData = {
        open: (ws) => {
          conn = hub.accept(agent, ws)
        },
        message: (_ws, message) => conn?.receive(message),
        close: (_ws, code, reason) => conn?.onClosed(code, reason),
        drain: () => {},
      }
      if (server.upgrade(request, { data })) return
      throw new MalformedRequest("The WebSocket upgrade failed.")
    },
    { detail: { summary: "Agent connection (WebSocket, protocol v1); authenticated by the agent token", tags: ["agents"] } },
  )
