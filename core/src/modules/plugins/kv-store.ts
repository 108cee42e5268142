// Per-install key/value store for host:api kv: JSONB values, optional TTL, a byte quota from the install's grant.
import { HostCallError, type HostApi } from "@streamspace/plugin-runtime/host"
import type { RootSql, Sql } from "../../infra/db/connect.ts"

/** Key plus value, as counted against the quota (the same rule as the runtime's in-memory host). */
export const entrySize = (key: string, json: string) => Buffer.byteLength(key) + Buffer.byteLength(json)

const live = (sql: Sql) => sql`(expires_at is null or expires_at > now())`

export const createKvStore = (sql: RootSql): HostApi["kv"] => ({
  async get(ctx, key) {
    const [row] = await sql<{ value: unknown }[]>`select value from plugin_kv
      where install_id = ${ctx.installId} and key = ${key} and ${live(sql)}`
    return row === undefined ? null : row.value
  },

  async set(ctx, key, value, { ttlSeconds, quotaBytes }) {
    const json = JSON.stringify(value ?? null)
    const size = entrySize(key, json)
    const stored = sql.json((value ?? null) as never)
    await sql.begin(async (tx) => {
      // One writer per install at a time, so two racing sets cannot both fit under the quota.
      await tx`select id from plugin_installs where id = ${ctx.installId} for update`
      await tx`delete from plugin_kv where install_id = ${ctx.installId} and expires_at <= now()`
      const [used] = await tx<{ bytes: number }[]>`select coalesce(sum(size), 0)::int as bytes from plugin_kv
        where install_id = ${ctx.installId} and key <> ${key}`
      const after = (used?.bytes ?? 0) + size
      if (after > quotaBytes)
        throw new HostCallError("HOST_QUOTA_EXCEEDED", `kv would hold ${after} bytes; this install's quota is ${quotaBytes}.`)
      const expiresAt = ttlSeconds === undefined ? null : sql`now() + ${`${ttlSeconds} seconds`}::interval`
      await tx`insert into plugin_kv (install_id, key, value, size, expires_at)
        values (${ctx.installId}, ${key}, ${stored}, ${size}, ${expiresAt})
        on conflict (install_id, key) do update set value = excluded.value, size = excluded.size, expires_at = excluded.expires_at`
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
