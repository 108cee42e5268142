// Routes: viewer tickets, session shares, and (relay.ts) the browser's desktop WebSocket.
import {
  CreateShare,
  IdParams,
  Share,
  SharedSession,
  ShareParams,
  Uuid,
  ViewerTicket,
  ViewerTicketQuery,
} from "@streamspace/schemas"
import { Elysia, t } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import { MalformedRequest, ServiceUnavailable } from "../../http/errors.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import { recordActivity, wake } from "../sessions/service.ts"
import { createActivityRecorder } from "./activity.ts"
import type { SessionStreams } from "./ports.ts"
import * as vnc from "./service.ts"
import type { RedisLink } from "../../infra/redis.ts"
import { createMemoryTicketStore, createRedisTicketStore, type TicketStore } from "./ticket-store.ts"
import { viewerRegistryOnRedis } from "./viewer-peers.ts"
import { ViewerRegistry } from "./viewer-registry.ts"
import { ViewerRelay } from "./viewer-relay.ts"

export interface VncOptions {
  /** The agent hub's streams; without them the desktop WebSocket answers 503. */
  streams?: SessionStreams
  tickets?: TicketStore
  /** Set with several replicas: tickets and share changes then reach every replica through it. */
  redis?: RedisLink
  /** How long a viewer ticket stays valid (default 30 s). */
  ticketTtlMs?: number
  readyTimeoutMs?: number
  /** Least time between two last_activity_at writes of one session (default 15 s). */
  activityIntervalMs?: number
}

export function vncRoutes(deps: CoreDeps, http: HttpPlugins, options: VncOptions = {}) {
  const ctx: vnc.VncContext = {
    deps,
    tickets: options.tickets ?? (options.redis ? createRedisTicketStore(options.redis) : createMemoryTicketStore()),
    viewers: options.redis ? viewerRegistryOnRedis(options.redis, deps.log) : new ViewerRegistry(),
    ticketTtlMs: options.ticketTtlMs ?? 30_000,
    readyTimeoutMs: options.readyTimeoutMs ?? 90_000,
    wake: async (session) => {
      await wake(deps, session.id)
    },
  }
  const log = deps.log.child({ module: "vnc" })
  const activity = createActivityRecorder(
    (sessionId) => recordActivity(deps, sessionId),
    (err) => log.error({ err }, "could not record viewer activity"),
    options.activityIntervalMs,
  )
  return new Elysia({ name: "vnc", prefix: "/api/v1" })
    .use(http)
    .get(
      "/vnc/:sessionId",
      async ({ params, query, request, server }) => {
        const streams = options.streams
        if (!streams) throw new ServiceUnavailable("This control plane runs no agent hub, so it has no desktops to stream.")
        // Checked before the ticket is spent: a plain GET must not burn the viewer's only ticket.
        if (request.headers.get("upgrade")?.toLowerCase() !== "websocket" || !server)
          throw new MalformedRequest("This endpoint streams the desktop over WebSocket; send an upgrade request.")
        const grant = await vnc.redeemTicket(ctx, query.ticket, params.sessionId)
        const relay = new ViewerRelay({
          sessionId: params.sessionId,
          userId: grant.userId,
          level: grant.level,
          shareExpiresAt: grant.shareExpiresAt,
          streams,
          viewers: ctx.viewers,
          ready: (signal) => vnc.untilRunning(ctx, params.sessionId, signal),
          onInput: () => activity.touch(params.sessionId),
          log,
        })
        if (server.upgrade(request, { data: relay.socketData() })) return
        throw new MalformedRequest("The WebSocket upgrade failed.")
      },
      {
        params: t.Object({ sessionId: Uuid }),
        query: ViewerTicketQuery,
        detail: {
          summary: "The session's desktop as RFB over WebSocket (binary frames); authenticated by a viewer ticket",
          tags: ["vnc"],
        },
      },
    )
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
      response: { 200: t.Array(SharedSession) },
      detail: {
        summary: "Sessions other users share with you that still have a desktop, with owner, app and state",
        tags: ["vnc"],
      },
    })
}
