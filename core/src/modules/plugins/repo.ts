// SQL for plugin bundles, installs and their recent errors. Only the plugins module calls it.
import type { PluginError, PluginInstallStatus, PluginManifest, PluginPermissions } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

/** An install with its bundle's manifest: everything but the bundle text. */
export interface InstallRow {
  id: string
  pluginId: string
  version: string
  bundleSha256: string
  manifest: PluginManifest
  config: Record<string, unknown>
  permissionsGranted: PluginPermissions
  enabled: boolean
  priority: number
  status: PluginInstallStatus
  lastError: PluginError | null
  createdAt: string
  updatedAt: string
}

const columns = (sql: Sql) =>
  sql`i.id, i.plugin_id, i.version, i.bundle_sha256, b.manifest, i.config, i.permissions_granted, i.enabled, i.priority,
    i.status, i.last_error, i.created_at, i.updated_at`

/**
 * Stores a bundle under its hash. The same bytes may come back with another manifest (an author
 * changed a limit): that replaces the stored one unless an install already uses it.
 * Returns the manifest now stored under the hash.
 */
export async function putBundle(sql: Sql, b: { sha256: string; manifest: PluginManifest; bundle: string }) {
  await sql`insert into plugin_bundles (sha256, manifest, bundle, bytes)
    values (${b.sha256}, ${sql.json(b.manifest as never)}, ${b.bundle}, ${Buffer.byteLength(b.bundle)})
    on conflict (sha256) do update set manifest = excluded.manifest
      where not exists (select 1 from plugin_installs where bundle_sha256 = excluded.sha256)`
  const [row] = await sql<{ manifest: PluginManifest }[]>`select manifest from plugin_bundles where sha256 = ${b.sha256}`
  return row?.manifest ?? null
}

export const findBundleText = async (sql: Sql, sha256: string) =>
  (await sql<{ bundle: string }[]>`select bundle from plugin_bundles where sha256 = ${sha256}`)[0]?.bundle ?? null

/** Bundles no install refers to any more. */
export const deleteUnusedBundles = (sql: Sql) =>
  sql`delete from plugin_bundles b where not exists (select 1 from plugin_installs i where i.bundle_sha256 = b.sha256)`

export async function insertInstall(
  sql: Sql,
  i: {
    pluginId: string
    version: string
    bundleSha256: string
    config: Record<string, unknown>
    granted: PluginPermissions
    enabled: boolean
    priority: number
  },
): Promise<string | null> {
  const [row] = await sql<{ id: string }[]>`insert into plugin_installs
      (plugin_id, version, bundle_sha256, config, permissions_granted, enabled, priority)
    values (${i.pluginId}, ${i.version}, ${i.bundleSha256}, ${sql.json(i.config as never)}, ${sql.json(i.granted as never)},
      ${i.enabled}, ${i.priority})
    on conflict (plugin_id) do nothing
    returning id`
  return row?.id ?? null
}

export const findInstall = async (sql: Sql, id: string) =>
  (
    await sql<InstallRow[]>`select ${columns(sql)} from plugin_installs i join plugin_bundles b on b.sha256 = i.bundle_sha256
      where i.id = ${id}`
  )[0] ?? null

export const listInstalls = (sql: Sql, onlyEnabled = false) =>
  sql<InstallRow[]>`select ${columns(sql)} from plugin_installs i join plugin_bundles b on b.sha256 = i.bundle_sha256
    where (${!onlyEnabled} or i.enabled) order by i.priority, i.plugin_id`

/** Plugin id → installed version. */
export const installedVersions = async (sql: Sql) =>
  new Map(
    (await sql<{ pluginId: string; version: string }[]>`select plugin_id, version from plugin_installs`).map((r) => [
      r.pluginId,
      r.version,
    ]),
  )

export async function updateInstall(
  sql: Sql,
  id: string,
  patch: { config?: Record<string, unknown>; granted?: PluginPermissions; priority?: number; enabled?: boolean },
) {
  const rows = await sql`update plugin_installs set
      config = ${patch.config === undefined ? sql`config` : sql.json(patch.config as never)},
      permissions_granted = ${patch.granted === undefined ? sql`permissions_granted` : sql.json(patch.granted as never)},
      priority = ${patch.priority ?? sql`priority`},
      enabled = ${patch.enabled ?? sql`enabled`},
      updated_at = now()
    where id = ${id}`
  return rows.count > 0
}

/** Points an install at another version's bundle (upgrade), with the config and grant that version runs with. */
export async function replaceBundle(
  sql: Sql,
  id: string,
  u: { version: string; bundleSha256: string; config: Record<string, unknown>; granted: PluginPermissions },
) {
  const rows = await sql`update plugin_installs set version = ${u.version}, bundle_sha256 = ${u.bundleSha256},
      config = ${sql.json(u.config as never)}, permissions_granted = ${sql.json(u.granted as never)}, updated_at = now()
    where id = ${id}`
  return rows.count > 0
}

export const deleteInstall = async (sql: Sql, id: string) => (await sql`delete from plugin_installs where id = ${id}`).count > 0

/**
 * Records what the runtime says; an error that is new (by time) also lands in the recent-errors list.
 * Answers the plugin's id when the error is new (the caller announces it), else null.
 */
export async function recordStatus(sql: Sql, id: string, status: PluginInstallStatus, error: PluginError | null) {
  const [row] = await sql<{ lastError: PluginError | null; pluginId: string }[]>`select last_error, plugin_id from plugin_installs
    where id = ${id}`
  if (row === undefined) return null
  await sql`update plugin_installs set status = ${status},
      last_error = ${error === null ? sql`last_error` : sql.json(error as never)}
    where id = ${id}`
  if (error !== null && (row.lastError?.at !== error.at || row.lastError?.message !== error.message)) {
    await sql`insert into plugin_errors (install_id, code, message, at) values (${id}, ${error.code}, ${error.message}, ${error.at})`
    // Keep the last 50 per install: enough to see a pattern, bounded for a plugin that fails in a loop.
    await sql`delete from plugin_errors where install_id = ${id}
      and id not in (select id from plugin_errors where install_id = ${id} order by id desc limit 50)`
    return row.pluginId
  }
  return null
}

export const setStatusOfAll = (sql: Sql, status: PluginInstallStatus) => sql`update plugin_installs set status = ${status}`

export const recentErrors = (sql: Sql, id: string, limit = 20) =>
  sql<PluginError[]>`select code, message, at from plugin_errors where install_id = ${id} order by id desc limit ${limit}`
