// Plugin administration: install (upload or marketplace), grant, configure, enable/disable, uninstall, secrets.
import { checkGrant, checkManifest, PluginInstallError } from "@streamspace/plugin-runtime/host"
import type {
  ConfigurePlugin,
  InstallPlugin,
  MarketplaceEntry,
  PluginInstall,
  PluginInstallDetail,
  PluginManifest,
  PluginPermissions,
  UpgradePlugin,
} from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { Conflict, NotFound } from "../../http/errors.ts"
import { validateConfig } from "./config-schema.ts"
import { PluginRejected } from "./errors.ts"
import { fetchFromMarketplace, readMarketplace, sha256Of } from "./marketplace.ts"
import type { PluginHost } from "./plugin-host.ts"
import * as repo from "./repo.ts"
import * as secrets from "./secrets.ts"

const DEFAULT_PRIORITY = 100

/** Re-raises the runtime package's install refusal as a 422 naming the field under `prefix`. */
const rejected = (error: unknown, prefix: string, strip = ""): never => {
  if (!(error instanceof PluginInstallError)) throw error
  const field = `${prefix}${(error.field ?? "").replace(strip, "")}` || "/"
  throw new PluginRejected(error.code, error.message, [{ field, message: error.message }])
}

/** What a plugin asks for, in words, for the admin who must grant it. */
export function describePermissions(p: PluginPermissions): string {
  const parts = [
    p.sessions && `sessions: ${p.sessions}`,
    p.users && `users: ${p.users}`,
    p.kv && `kv: ${p.kv.quotaBytes} bytes`,
    p.http && `http: ${p.http.allow.join(", ")}`,
    p.secrets?.length && `secrets: ${p.secrets.join(", ")}`,
    p.secretStore && `secretStore: ${p.secretStore.maxSecrets} secrets of its own`,
    p.crypto && "crypto",
  ].filter(Boolean)
  return parts.length > 0 ? parts.join("; ") : "no permissions"
}

const toInstall = (row: repo.InstallRow): PluginInstall => ({
  id: row.id,
  pluginId: row.pluginId,
  version: row.version,
  name: row.manifest.name ?? null,
  description: row.manifest.description ?? null,
  bundleSha256: row.bundleSha256,
  hooks: row.manifest.hooks,
  events: row.manifest.events,
  permissions: { requested: row.manifest.permissions, granted: row.permissionsGranted },
  limits: row.manifest.limits,
  config: row.config,
  enabled: row.enabled,
  priority: row.priority,
  status: row.status,
  lastError: row.lastError,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
})

async function sourceOf(host: PluginHost, body: InstallPlugin) {
  if (body.source === "marketplace") return fetchFromMarketplace(host.marketplace, body.pluginId, body.version)
  let manifest: PluginManifest
  try {
    manifest = checkManifest(body.manifest)
  } catch (error) {
    return rejected(error, "/manifest")
  }
  const sha256 = sha256Of(body.bundle)
  if (body.sha256 !== undefined && body.sha256 !== sha256)
    throw new PluginRejected("PLUGIN_BUNDLE_HASH_MISMATCH", `The bundle's sha256 is ${sha256}, not ${body.sha256}.`, [
      { field: "/sha256", message: "does not match the bundle" },
    ])
  return { manifest, bundle: body.bundle, sha256 }
}

function checkedGrant(manifest: PluginManifest, grant: PluginPermissions | undefined): PluginPermissions {
  if (grant === undefined)
    throw new PluginRejected(
      "PLUGIN_GRANT_REQUIRED",
      `${manifest.id}@${manifest.version} asks for ${describePermissions(manifest.permissions)}. Install it again naming what you grant in "grant": that, or less.`,
      [{ field: "/grant", message: "is required" }],
    )
  try {
    checkGrant(manifest.permissions, grant)
  } catch (error) {
    rejected(error, "/grant", "/permissions")
  }
  return grant
}

async function findRow(deps: CoreDeps, id: string) {
  const row = await repo.findInstall(deps.sql, id)
  if (!row) throw new NotFound("That plugin install")
  return row
}

/** Bundles are kept by hash with their manifest: the same bytes under another manifest are refused. */
async function storeBundle(
  sql: Parameters<typeof repo.putBundle>[0],
  b: { sha256: string; manifest: PluginManifest; bundle: string },
) {
  const stored = await repo.putBundle(sql, b)
  if (!Bun.deepEquals(stored, b.manifest))
    throw new Conflict(
      `This bundle (sha256 ${b.sha256}) is installed with another manifest; uninstall that plugin first.`,
      "PLUGIN_BUNDLE_CONFLICT",
    )
}

export async function installPlugin(deps: CoreDeps, host: PluginHost, body: InstallPlugin): Promise<PluginInstall> {
  const { manifest, bundle, sha256 } = await sourceOf(host, body)
  const granted = checkedGrant(manifest, body.grant)
  const config = validateConfig(manifest.configSchema, body.config ?? {})
  const id = await deps.sql.begin(async (tx) => {
    await storeBundle(tx, { sha256, manifest, bundle })
    const inserted = await repo.insertInstall(tx, {
      pluginId: manifest.id,
      version: manifest.version,
      bundleSha256: sha256,
      config,
      granted,
      enabled: body.enabled ?? true,
      priority: body.priority ?? DEFAULT_PRIORITY,
    })
    if (inserted === null)
      throw new Conflict(
        `${manifest.id} is already installed; uninstall it first to install another version.`,
        "PLUGIN_ALREADY_INSTALLED",
      )
    return inserted
  })
  const row = await findRow(deps, id)
  if (row.enabled) await host.activate(row)
  return getPlugin(deps, host, id)
}

export async function getPlugin(deps: CoreDeps, host: PluginHost, id: string): Promise<PluginInstall> {
  await host.settled()
  return toInstall(await findRow(deps, id))
}

export async function getPluginDetail(deps: CoreDeps, host: PluginHost, id: string): Promise<PluginInstallDetail> {
  const install = await getPlugin(deps, host, id)
  const row = await findRow(deps, id)
  return {
    ...install,
    configSchema: row.manifest.configSchema,
    usage: await host.usageOf(id),
    recentErrors: [...(await repo.recentErrors(deps.sql, id))],
    secrets: [...(await secrets.listSecretNames(deps.sql, id))],
  }
}

export async function listPlugins(deps: CoreDeps, host: PluginHost): Promise<PluginInstall[]> {
  await host.settled()
  return (await repo.listInstalls(deps.sql)).map(toInstall)
}

export async function configurePlugin(deps: CoreDeps, host: PluginHost, id: string, patch: ConfigurePlugin) {
  const row = await findRow(deps, id)
  const config = patch.config === undefined ? undefined : validateConfig(row.manifest.configSchema, patch.config)
  const granted = patch.grant === undefined ? undefined : checkedGrant(row.manifest, patch.grant)
  await repo.updateInstall(deps.sql, id, { config, granted, priority: patch.priority })
  const updated = await findRow(deps, id)
  if (updated.enabled) await host.activate(updated) // reload: the isolate sees config and grant only at load
  return getPlugin(deps, host, id)
}

/**
 * Moves an install to another version from the marketplace (the newest by default). Its id, kv data,
 * secrets, priority and enabled state stay; the config and grant stay too unless given, and must fit
 * the new version (a grant beyond what it asks for, or a config its schema refuses, is a 422 naming
 * the field). A running install reloads with the new bundle on every replica.
 */
export async function upgradePlugin(deps: CoreDeps, host: PluginHost, id: string, body: UpgradePlugin) {
  const row = await findRow(deps, id)
  const { manifest, bundle, sha256 } = await fetchFromMarketplace(host.marketplace, row.pluginId, body.version)
  if (sha256 === row.bundleSha256)
    throw new Conflict(`${row.pluginId}@${row.version} is already installed with this bundle.`, "PLUGIN_UP_TO_DATE")
  const granted = checkedGrant(manifest, body.grant ?? row.permissionsGranted)
  const config = validateConfig(manifest.configSchema, body.config ?? row.config)
  await deps.sql.begin(async (tx) => {
    await storeBundle(tx, { sha256, manifest, bundle })
    await repo.replaceBundle(tx, id, { version: manifest.version, bundleSha256: sha256, config, granted })
    await repo.deleteUnusedBundles(tx)
  })
  const updated = await findRow(deps, id)
  if (updated.enabled) await host.activate(updated)
  return { from: row.version, install: await getPlugin(deps, host, id) }
}

export async function setEnabled(deps: CoreDeps, host: PluginHost, id: string, enabled: boolean) {
  await findRow(deps, id)
  await repo.updateInstall(deps.sql, id, { enabled })
  if (enabled) await host.activate(await findRow(deps, id))
  else await host.deactivate(id)
  return getPlugin(deps, host, id)
}

export async function uninstallPlugin(deps: CoreDeps, host: PluginHost, id: string): Promise<void> {
  await findRow(deps, id)
  await host.deactivate(id)
  await deps.sql.begin(async (tx) => {
    await repo.deleteInstall(tx, id)
    await repo.deleteUnusedBundles(tx)
  })
}

export async function listMarketplace(deps: CoreDeps, host: PluginHost): Promise<MarketplaceEntry[]> {
  const [plugins, installed] = await Promise.all([readMarketplace(host.marketplace), repo.installedVersions(deps.sql)])
  return plugins.map(({ manifest, sha256 }) => ({
    pluginId: manifest.id,
    version: manifest.version,
    name: manifest.name ?? null,
    description: manifest.description ?? null,
    sha256,
    hooks: manifest.hooks,
    events: manifest.events,
    permissions: manifest.permissions,
    installed: installed.has(manifest.id),
    installedVersion: installed.get(manifest.id) ?? null,
  }))
}

export async function setSecret(deps: CoreDeps, host: PluginHost, id: string, name: string, value: string): Promise<void> {
  const row = await findRow(deps, id)
  if (!row.manifest.permissions.secrets?.includes(name))
    throw new PluginRejected(
      "PLUGIN_SECRET_UNKNOWN",
      `${row.pluginId} does not use a secret named ${name}; its manifest names ${row.manifest.permissions.secrets?.join(", ") || "none"}.`,
      [{ field: "name", message: "is not a secret this plugin asks for" }],
    )
  await secrets.putSecret(deps.sql, host.secretsKey(), id, "admin", name, value)
}

export async function deleteSecret(deps: CoreDeps, id: string, name: string): Promise<void> {
  await findRow(deps, id)
  if (!(await secrets.deleteSecret(deps.sql, id, "admin", name))) throw new NotFound(`The secret ${name}`)
}
