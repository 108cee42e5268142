// SQL for the agent registry; tokens are stored only as hashes.
import type { Agent, RegisterAgent } from "@streamspace/schemas"
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
