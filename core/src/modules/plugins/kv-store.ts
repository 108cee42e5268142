// Per-install key/value store for host:api kv: JSONB values, optional TTL, a byte quota from the install's grant.
import { HostCallError, type HostApi } from "@streamspace/plugin-runtime/host"
import type { RootSql, Sql } from "../../infra/db/connect.ts"

/** Key plus value, as counted against the quota (the same rule as the runtime's in-memory host). */
export const entrySize = (key: string, json: string) => Buffer.byteLength(key) + Buffer.byteLength(json)

const live = (sql: Sql) => sql`(expires_at is null or expires_at > now())`

/**
 * One writer per install at a time (every replica): two racing writes cannot both fit under the quota,
 * and an increment's read-add-write is one step.
 */
async function lockInstall(tx: Sql, installId: string) {
  await tx`select id from plugin_installs where id = ${installId} for update`
  await tx`delete from plugin_kv where install_id = ${installId} and expires_at <= now()`
}

/** Refuses a write that would take the install's keys and values past its quota. */
async function checkQuota(tx: Sql, installId: string, key: string, size: number, quotaBytes: number) {
  const [used] = await tx<{ bytes: number }[]>`select coalesce(sum(size), 0)::int as bytes from plugin_kv
    where install_id = ${installId} and key <> ${key}`
  const after = (used?.bytes ?? 0) + size
  if (after > quotaBytes)
    throw new HostCallError("HOST_QUOTA_EXCEEDED", `kv would hold ${after} bytes; this install's quota is ${quotaBytes}.`)
}

export const createKvStore = (sql: RootSql): HostApi["kv"] => ({
  async get(ctx, key) {
    const [row] = await sql<{ value: unknown }[]>`select value from plugin_kv
      where install_id = ${ctx.installId} and key = ${key} and ${live(sql)}`
    return row === undefined ? null : row.value
  },

  async set(ctx, key, value, { ttlSeconds, quotaBytes }) {
    const json = JSON.stringify(value ?? null)
    await sql.begin(async (tx) => {
      await lockInstall(tx, ctx.installId)
      await checkQuota(tx, ctx.installId, key, entrySize(key, json), quotaBytes)
      const expiresAt = ttlSeconds === undefined ? null : sql`now() + ${`${ttlSeconds} seconds`}::interval`
      await tx`insert into plugin_kv (install_id, key, value, size, expires_at)
        values (${ctx.installId}, ${key}, ${sql.json((value ?? null) as never)}, ${entrySize(key, json)}, ${expiresAt})
        on conflict (install_id, key) do update set value = excluded.value, size = excluded.size, expires_at = excluded.expires_at`
    })
  },

  async increment(ctx, key, by, { ttlSeconds, quotaBytes }) {
    return sql.begin(async (tx) => {
      await lockInstall(tx, ctx.installId)
      const [row] = await tx<{ value: unknown }[]>`select value from plugin_kv
        where install_id = ${ctx.installId} and key = ${key} and ${live(tx)}`
      const current = row?.value ?? 0
      if (typeof current !== "number")
        throw new HostCallError(
          "HOST_BAD_ARGUMENTS",
          `kv key ${key} holds ${typeof current}, not a number, and cannot be incremented.`,
        )
      const value = current + by
      const json = JSON.stringify(value)
      await checkQuota(tx, ctx.installId, key, entrySize(key, json), quotaBytes)
      // A live key keeps its expiry: a counter's window is fixed by its first increment.
      if (row) {
        await tx`update plugin_kv set value = ${tx.json(value)}, size = ${entrySize(key, json)}
          where install_id = ${ctx.installId} and key = ${key}`
      } else {
        const expiresAt = ttlSeconds === undefined ? null : tx`now() + ${`${ttlSeconds} seconds`}::interval`
        await tx`insert into plugin_kv (install_id, key, value, size, expires_at)
          values (${ctx.installId}, ${key}, ${tx.json(value)}, ${entrySize(key, json)}, ${expiresAt})
          on conflict (install_id, key) do update set value = excluded.value, size = excluded.size, expires_at = excluded.expires_at`
      }
      return value
    })
  },

  async delete(ctx, key) {
    const rows = await sql<{ live: boolean }[]>`delete from plugin_kv where install_id = ${ctx.installId} and key = ${key}
      returning ${live(sql)} as live`
    return rows[0]?.live === true
  },

  async list(ctx, prefix, limit) {
    // starts_with, not LIKE: a prefix holding % or _ must match literally.
    const rows = await sql<{ key: string }[]>`select key from plugin_kv
      where install_id = ${ctx.installId} and starts_with(key, ${prefix}) and ${live(sql)}
      order by key limit ${limit}`
    return rows.map((r) => r.key)
  },
})
