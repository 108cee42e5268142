// SQL for the agent registry; tokens are stored only as hashes.
import type { Agent, Capacity, RegisterAgent } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

const columns = (sql: Sql) =>
  sql`id, name, platform, cluster, status, version, capacity, leader_instance, last_heartbeat_at, created_at, token_rotated_at`

export const insertAgent = async (sql: Sql, a: RegisterAgent, tokenHash: string) =>
  (
    await sql<Agent[]>`insert into agents (name, platform, cluster, token_hash)
      values (${a.name}, ${a.platform}, ${a.cluster ?? "default"}, ${tokenHash}) returning ${columns(sql)}`
  )[0] as Agent

export const listAgents = (sql: Sql) => sql<Agent[]>`select ${columns(sql)} from agents order by name`

export const findAgent = async (sql: Sql, id: string) =>
  (await sql<Agent[]>`select ${columns(sql)} from agents where id = ${id}`)[0] ?? null

export const findAgentByName = async (sql: Sql, name: string) =>
  (await sql<Agent[]>`select ${columns(sql)} from agents where name = ${name}`)[0] ?? null

/** A live (not revoked) agent holding this token. */
export const findAgentByTokenHash = async (sql: Sql, tokenHash: string) =>
  (await sql<Agent[]>`select ${columns(sql)} from agents where token_hash = ${tokenHash} and status <> 'revoked'`)[0] ?? null

export const rotateAgentToken = async (sql: Sql, id: string, tokenHash: string) =>
  (
    await sql<Agent[]>`update agents set token_hash = ${tokenHash}, token_rotated_at = now()
      where id = ${id} and status <> 'revoked' returning ${columns(sql)}`
  )[0] ?? null

export const revokeAgent = async (sql: Sql, id: string) =>
  (await sql<Agent[]>`update agents set status = 'revoked' where id = ${id} returning ${columns(sql)}`)[0] ?? null

/** After hello: online with what the agent says about itself. Null when the agent was revoked meanwhile. */
export async function markOnline(
  sql: Sql,
  id: string,
  f: { version: string; capacity: Capacity; leaderInstance: string | null },
): Promise<{ wasOnline: boolean } | null> {
  const rows = await sql<{ wasOnline: boolean }[]>`
    with prev as (select id, status from agents where id = ${id} and status <> 'revoked' for update)
    update agents a set status = 'online', version = ${f.version}, capacity = ${sql.json(f.capacity)},
      leader_instance = coalesce(${f.leaderInstance}, a.leader_instance), last_heartbeat_at = now()
    from prev where a.id = prev.id
    returning prev.status = 'online' as was_online`
  return rows[0] ?? null
}

/** True when this call took the agent offline (it was online). */
export const markOffline = async (sql: Sql, id: string) =>
  (await sql`update agents set status = 'offline', leader_instance = null where id = ${id} and status = 'online'`).count > 0

/** Agents recorded online whose last heartbeat is older than the cutoff, except those connected now. */
export const staleOnlineAgents = (sql: Sql, olderThanMs: number, connected: string[]) =>
  sql<{ id: string; name: string }[]>`select id, name from agents where status = 'online'
    and (last_heartbeat_at is null or last_heartbeat_at < now() - ${olderThanMs} * interval '1 millisecond')
    and not (id = any(${connected}::uuid[]))`

export interface HeartbeatRow {
  id: string
  capacity: Capacity
  leaderInstance: string | null
}

/** Many agents' heartbeats in one statement (the hub batches them: 2,000 agents every 10 s would be 200 updates a second). */
export const recordHeartbeats = (sql: Sql, rows: HeartbeatRow[]) =>
  sql`update agents a set capacity = v.capacity, last_heartbeat_at = now(),
      leader_instance = coalesce(v.leader_instance, a.leader_instance)
    from jsonb_to_recordset(${sql.json(rows.map((r) => ({ id: r.id, capacity: r.capacity, leader_instance: r.leaderInstance })) as never)})
      as v(id uuid, capacity jsonb, leader_instance text)
    where a.id = v.id and a.status = 'online'`
