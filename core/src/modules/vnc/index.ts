// Routes: viewer tickets, session shares, and (relay.ts) the browser's desktop WebSocket.
import { CreateShare, IdParams, Share, ShareParams, ViewerTicket } from "@streamspace/schemas"
import { Elysia, t } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import * as vnc from "./service.ts"
import { createMemoryTicketStore, type TicketStore } from "./ticket-store.ts"
import { ViewerRegistry } from "./viewer-registry.ts"

export interface VncOptions {
  tickets?: TicketStore
  /** How long a viewer ticket stays valid (default 30 s). */
  ticketTtlMs?: number
}

export function vncRoutes(deps: CoreDeps, http: HttpPlugins, options: VncOptions = {}) {
  const ctx: vnc.VncContext = {
    deps,
    tickets: options.tickets ?? createMemoryTicketStore(),
    viewers: new ViewerRegistry(),
    ticketTtlMs: options.ticketTtlMs ?? 30_000,
  }
  return new Elysia({ name: "vnc", prefix: "/api/v1" })
    .use(http)
    .post("/sessions/:id/connect", ({ user, params }) => vnc.issueTicket(ctx, user, params.id), {
      auth: "user",
      params: IdParams,
      response: { 200: ViewerTicket },
      detail: {
        summary: "Get a single-use ticket (valid for seconds) to open the session's desktop WebSocket",
        tags: ["vnc"],
      },
    })
    .get("/sessions/:id/shares", ({ user, params }) => vnc.listShares(ctx, user, params.id), {
      auth: "user",
      params: IdParams,
      response: { 200: t.Array(Share) },
      detail: { summary: "List who the session is shared with (owner or admin)", tags: ["vnc"] },
    })
    .post(
      "/sessions/:id/shares",
      async ({ user, params, body, set, audit }) => {
        const share = await vnc.grantShare(ctx, user, params.id, body)
        audit.detail = { shareId: share.id, userId: share.userId, level: share.level }
        set.status = 201
        return share
      },
      {
        auth: "user",
        audit: "session.share",
        params: IdParams,
        body: CreateShare,
        response: { 201: Share },
        detail: {
          summary: "Share the session with a user, view-only or with control, optionally until a time (owner or admin)",
          tags: ["vnc"],
        },
      },
    )
    .delete(
      "/sessions/:id/shares/:shareId",
      async ({ user, params, set, audit }) => {
        audit.detail = { shareId: params.shareId }
        await vnc.revokeShare(ctx, user, params.id, params.shareId)
        set.status = 204
      },
      {
        auth: "user",
        audit: "session.unshare",
        params: ShareParams,
        detail: { summary: "Revoke a share; the user's open streams close at once (owner or admin)", tags: ["vnc"] },
      },
    )
    .get("/shares", ({ user }) => vnc.sharedWithMe(ctx, user), {
      auth: "user",
      response: { 200: t.Array(Share) },
      detail: { summary: "Sessions other users share with you", tags: ["vnc"] },
    })
}
