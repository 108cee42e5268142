// SQL for API keys; secrets are stored only as hashes.
import type { ApiKey } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

const columns = (sql: Sql) => sql`id, user_id, name, prefix, created_at, expires_at, last_used_at, revoked_at`

export const insertApiKey = async (
  sql: Sql,
  k: { userId: string; name: string; prefix: string; secretHash: string; expiresAt: string | null },
) =>
  (
    await sql<ApiKey[]>`insert into api_keys (user_id, name, prefix, secret_hash, expires_at)
      values (${k.userId}, ${k.name}, ${k.prefix}, ${k.secretHash}, ${k.expiresAt}) returning ${columns(sql)}`
  )[0] as ApiKey

export const listApiKeys = (sql: Sql, userId: string | null) =>
  sql<ApiKey[]>`select ${columns(sql)} from api_keys
    where (${userId}::uuid is null or user_id = ${userId}) order by created_at desc`

export const findApiKey = async (sql: Sql, id: string) =>
  (await sql<ApiKey[]>`select ${columns(sql)} from api_keys where id = ${id}`)[0] ?? null

export const revokeApiKey = async (sql: Sql, id: string) =>
  (
    await sql<ApiKey[]>`update api_keys set revoked_at = coalesce(revoked_at, now()) where id = ${id} returning ${columns(sql)}`
  )[0] ?? null

/** The key's owner, if the key is live and the owner enabled. */
export const findLiveKeyOwner = async (sql: Sql, secretHash: string) =>
  (
    await sql<{ keyId: string; userId: string; lastUsedAt: string | null }[]>`
      select k.id as key_id, k.user_id, k.last_used_at from api_keys k join users u on u.id = k.user_id
      where k.secret_hash = ${secretHash} and k.revoked_at is null and (k.expires_at is null or k.expires_at > now())
        and not u.disabled`
  )[0] ?? null

export const touchApiKey = (sql: Sql, id: string) => sql`update api_keys set last_used_at = now() where id = ${id}`
