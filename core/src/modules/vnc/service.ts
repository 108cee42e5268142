// Who may see a session's desktop and how: owner and admins control it, shares grant view or control,
// and a single-use ticket carries that decision to the WebSocket.
import type { CreateShare, Session, Share, ShareLevel, ViewerTicket } from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { Conflict, InvalidTransition, NotFound, Unauthenticated, ValidationFailed } from "../../http/errors.ts"
import { hashSecret, newSecret } from "../../infra/ids.ts"
import type { Principal } from "../identity/principal.ts"
import { findSession, getSession } from "../sessions/service.ts"
import { findUserByName, getActiveUser } from "../users/service.ts"
import * as repo from "./repo.ts"
import type { TicketGrant, TicketStore } from "./ticket-store.ts"
import type { ViewerRegistry } from "./viewer-registry.ts"

export interface VncContext {
  deps: CoreDeps
  tickets: TicketStore
  viewers: ViewerRegistry
  ticketTtlMs: number
  /** How long a viewer waits for a starting or waking session before it is told to try again. */
  readyTimeoutMs: number
  /** Wakes a hibernated session (through the hub's scheduler). */
  wake: (session: Session) => Promise<void>
}

/** Sessions in these states have (or will have again) a desktop to connect to. */
const CONNECTABLE = new Set(["pending", "starting", "running", "hibernating", "hibernated", "waking"])

/** The caller's level on the session; others get 404 so that ids reveal nothing. */
export async function accessOf(ctx: VncContext, who: Pick<Principal, "id" | "role">, sessionId: string) {
  const session = await findSession(ctx.deps, sessionId)
  if (!session) throw new NotFound("That session")
  if (session.userId === who.id || who.role === "admin") return { session, level: "control" as ShareLevel }
  const share = await repo.findLiveShare(ctx.deps.sql, sessionId, who.id)
  if (!share) throw new NotFound("That session")
  return { session, level: share.level }
}

function requireConnectable(session: Session) {
  if (!CONNECTABLE.has(session.state))
    throw new Conflict(`The session is ${session.state}; launch a new one to get a desktop.`, "SESSION_NOT_RUNNING")
}

export async function issueTicket(ctx: VncContext, user: Principal, sessionId: string): Promise<ViewerTicket> {
  const { session, level } = await accessOf(ctx, user, sessionId)
  requireConnectable(session)
  const ticket = newSecret("svt")
  const expiresAt = Date.now() + ctx.ticketTtlMs
  await ctx.tickets.put(hashSecret(ticket), { userId: user.id, sessionId, level, expiresAt })
  return {
    ticket,
    expiresAt: new Date(expiresAt).toISOString(),
    url: `/api/v1/vnc/${sessionId}?ticket=${encodeURIComponent(ticket)}`,
    level,
    state: session.state,
  }
}

/**
 * Spends a ticket and checks again what it stands for: a share revoked or a user disabled since
 * the ticket was issued gets no stream, and a lowered share level applies.
 */
export async function redeemTicket(ctx: VncContext, ticket: string, sessionId: string) {
  const grant: TicketGrant | null = await ctx.tickets.take(hashSecret(ticket))
  if (!grant || grant.sessionId !== sessionId)
    throw new Unauthenticated(
      `This viewer ticket is unknown, used or expired. Ask for a new one: POST /api/v1/sessions/${sessionId}/connect.`,
    )
  const user = await getActiveUser(ctx.deps, grant.userId)
  if (!user) throw new Unauthenticated("The account this ticket was issued to is disabled.")
  const { session, level } = await accessOf(ctx, user, sessionId)
  requireConnectable(session)
  return { session, userId: user.id, level, shareExpiresAt: await shareExpiry(ctx, session, user.id) }
}

async function shareExpiry(ctx: VncContext, session: Session, userId: string): Promise<number | null> {
  if (session.userId === userId) return null
  const share = await repo.findLiveShare(ctx.deps.sql, session.id, userId)
  return share?.expiresAt ? Date.parse(share.expiresAt) : null
}

export async function grantShare(ctx: VncContext, owner: Principal, sessionId: string, input: CreateShare): Promise<Share> {
  const session = await getSession(ctx.deps, owner, sessionId)
  const grantee = await findUserByName(ctx.deps, input.username)
  if (!grantee) throw new ValidationFailed([{ field: "/username", message: `no user is called ${input.username}` }])
  if (grantee.id === session.userId)
    throw new ValidationFailed([{ field: "/username", message: "the owner of a session needs no share of it" }])
  if (input.expiresAt && Date.parse(input.expiresAt) <= Date.now())
    throw new ValidationFailed([{ field: "/expiresAt", message: "must be in the future" }])
  const { share, previousLevel } = await repo.upsertShare(ctx.deps.sql, {
    sessionId,
    userId: grantee.id,
    level: input.level,
    expiresAt: input.expiresAt ?? null,
    createdBy: owner.id,
  })
  // Lowered from control to view: open streams reconnect under the new level.
  if (previousLevel === "control" && input.level === "view")
    ctx.viewers.closeUser(sessionId, grantee.id, "Your share of this session changed to view-only.")
  return share
}

export async function listShares(ctx: VncContext, owner: Principal, sessionId: string): Promise<Share[]> {
  await getSession(ctx.deps, owner, sessionId)
  return repo.listSharesOfSession(ctx.deps.sql, sessionId)
}

export const sharedWithMe = (ctx: VncContext, user: Principal) => repo.listSharedWith(ctx.deps.sql, user.id)

/** Removes the share and ends that user's open streams of the session at once. */
export async function revokeShare(ctx: VncContext, owner: Principal, sessionId: string, shareId: string): Promise<void> {
  await getSession(ctx.deps, owner, sessionId)
  const userId = await repo.deleteShare(ctx.deps.sql, sessionId, shareId)
  if (!userId) throw new NotFound("That share")
  ctx.viewers.closeUser(sessionId, userId, "Your share of this session was revoked.")
}

/**
 * Resolves once the session runs, waking it first if it sleeps; rejects when it will not run
 * within the deadline, ends, or the viewer leaves (signal).
 */
export async function untilRunning(ctx: VncContext, sessionId: string, signal: AbortSignal): Promise<void> {
  const deadline = Date.now() + ctx.readyTimeoutMs
  let woken = false
  for (;;) {
    const session = await findSession(ctx.deps, sessionId)
    if (!session) throw new NotFound("That session")
    if (session.state === "running") return
    requireConnectable(session)
    if (session.state === "hibernated" && !woken) {
      // Another viewer may be waking it at the same moment: the state machine lets one through, which is enough.
      await ctx.wake(session).catch((error: unknown) => {
        if (!(error instanceof InvalidTransition)) throw error
      })
      woken = true
    }
    if (signal.aborted) throw new Error("The viewer left.")
    if (Date.now() > deadline)
      throw new Conflict(`The session did not start within ${ctx.readyTimeoutMs / 1000} s; try again.`, "SESSION_NOT_RUNNING")
    await Bun.sleep(250)
  }
}

/** For the event stream: sessions shared with the user right now. */
export const sharedSessionIds = (deps: CoreDeps, userId: string) => repo.liveSharedSessionIds(deps.sql, userId)
