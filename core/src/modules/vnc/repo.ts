// SQL for session shares. Only the vnc service calls it.
import type { Share, SharedSession, ShareLevel } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

const columns = (sql: Sql) => sql`s.id, s.session_id, s.user_id, u.username, s.level, s.expires_at, s.created_at, s.created_by`

/** Grants or replaces a user's share; returns it with the level it had before (null if new). */
export async function upsertShare(
  sql: Sql,
  s: { sessionId: string; userId: string; level: ShareLevel; expiresAt: string | null; createdBy: string },
): Promise<{ share: Share; previousLevel: ShareLevel | null }> {
  const [previous] = await sql<{ level: ShareLevel }[]>`select level from session_shares
    where session_id = ${s.sessionId} and user_id = ${s.userId}`
  const [row] = await sql<{ id: string }[]>`insert into session_shares (session_id, user_id, level, expires_at, created_by)
    values (${s.sessionId}, ${s.userId}, ${s.level}, ${s.expiresAt}, ${s.createdBy})
    on conflict (session_id, user_id) do update set level = excluded.level, expires_at = excluded.expires_at,
      created_by = excluded.created_by, created_at = now()
    returning id`
  return { share: (await findShare(sql, row?.id as string)) as Share, previousLevel: previous?.level ?? null }
}

export const findShare = async (sql: Sql, id: string) =>
  (await sql<Share[]>`select ${columns(sql)} from session_shares s join users u on u.id = s.user_id where s.id = ${id}`)[0] ??
  null

export const listSharesOfSession = (sql: Sql, sessionId: string) =>
  sql<Share[]>`select ${columns(sql)} from session_shares s join users u on u.id = s.user_id
    where s.session_id = ${sessionId} order by s.created_at`

/**
 * Live shares granted to a user, of sessions that still have a desktop, with what the portal lists.
 * Read-only join on sessions and users: one query for a list the portal shows on every visit.
 */
export const listSharedWith = (sql: Sql, userId: string) =>
  sql<SharedSession[]>`select s.id as share_id, s.session_id, s.level, s.expires_at, s.created_at as shared_at,
      o.username as owner, o.display_name as owner_display_name, x.template_name, x.state
    from session_shares s join sessions x on x.id = s.session_id join users o on o.id = x.user_id
    where s.user_id = ${userId} and (s.expires_at is null or s.expires_at > now())
      and x.state not in ('stopped', 'failed')
    order by s.created_at desc`

/** The user's share of a session if it has not expired. */
export const findLiveShare = async (sql: Sql, sessionId: string, userId: string) =>
  (
    await sql<Share[]>`select ${columns(sql)} from session_shares s join users u on u.id = s.user_id
      where s.session_id = ${sessionId} and s.user_id = ${userId} and (s.expires_at is null or s.expires_at > now())`
  )[0] ?? null

export const deleteShare = async (sql: Sql, sessionId: string, shareId: string) =>
  (
    await sql<{ userId: string }[]>`delete from session_shares where id = ${shareId} and session_id = ${sessionId}
      returning user_id`
  )[0]?.userId ?? null

/** Ids of the sessions the user holds a live share of (the event stream shows their events). */
export const liveSharedSessionIds = async (sql: Sql, userId: string) =>
  new Set(
    (
      await sql<{ sessionId: string }[]>`select session_id from session_shares
        where user_id = ${userId} and (expires_at is null or expires_at > now())`
    ).map((r) => r.sessionId),
  )
