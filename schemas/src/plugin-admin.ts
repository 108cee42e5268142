// Admin API shapes for plugins: installs, their status and errors, the marketplace, secrets.
import { type Static, Type } from "@sinclair/typebox"
import { Nullable, Timestamp, Uuid } from "./common.ts"
import { FailMode } from "./plugin-hooks.ts"
import { PluginId, PluginLimits, PluginPermissions, SecretName, SemVer } from "./plugin-manifest.ts"

export const Sha256 = Type.String({ pattern: "^[0-9a-f]{64}$", description: "Lower-case hex SHA-256" })

/**
 * stopped: not enabled, or the plugin runtime is off; loading/running: as the runtime reports;
 * crashed: failed and will be retried; failed: the runtime gave up (re-enable to try again).
 */
export const PluginInstallStatus = Type.Union([
  Type.Literal("stopped"),
  Type.Literal("loading"),
  Type.Literal("running"),
  Type.Literal("crashed"),
  Type.Literal("failed"),
])
export type PluginInstallStatus = Static<typeof PluginInstallStatus>

export const PluginError = Type.Object({
  code: Type.String({ description: "A plugin error code, e.g. PLUGIN_TIMEOUT" }),
  message: Type.String(),
  at: Timestamp,
})
export type PluginError = Static<typeof PluginError>

/** A hook a plugin answers; a plain string here, so a response stays readable when a newer core adds hooks. */
const BoundHook = Type.Object({ name: Type.String(), failMode: FailMode })

const Config = Type.Record(Type.String(), Type.Unknown(), {
  description: "Per-install config, valid for the manifest's configSchema",
})
const Priority = Type.Integer({ minimum: 0, maximum: 10000, description: "Lower runs first when several installs answer a hook" })

export const PluginInstall = Type.Object({
  id: Uuid,
  pluginId: PluginId,
  version: SemVer,
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  bundleSha256: Sha256,
  hooks: Type.Array(BoundHook),
  events: Type.Array(Type.String()),
  permissions: Type.Object({
    requested: PluginPermissions,
    granted: PluginPermissions,
  }),
  limits: PluginLimits,
  config: Config,
  enabled: Type.Boolean(),
  priority: Priority,
  status: PluginInstallStatus,
  lastError: Nullable(PluginError),
  createdAt: Timestamp,
  updatedAt: Timestamp,
})
export type PluginInstall = Static<typeof PluginInstall>

/** What the runtime measured of one loaded install, since it was loaded on this replica. */
export const PluginUsage = Type.Object({
  cpuTimeMs: Type.Number({ minimum: 0, description: "CPU time its isolate used, all calls together" }),
  wallTimeMs: Type.Number({ minimum: 0, description: "Wall-clock time spent inside its calls" }),
  heapUsedBytes: Type.Integer({ minimum: 0 }),
  calls: Type.Integer({ minimum: 0, description: "Hook and event calls into the isolate" }),
  hostCalls: Type.Integer({ minimum: 0, description: "host:api calls the plugin made" }),
})
export type PluginUsage = Static<typeof PluginUsage>

export const PluginInstallDetail = Type.Composite([
  PluginInstall,
  Type.Object({
    /** null while the install is not loaded on the replica that answered. */
    usage: Nullable(PluginUsage),
    configSchema: Type.Record(Type.String(), Type.Unknown()),
    recentErrors: Type.Array(PluginError, { description: "Newest first" }),
    secrets: Type.Array(Type.Object({ name: SecretName, updatedAt: Timestamp }), {
      description: "Names only: values are write-only",
    }),
  }),
])
export type PluginInstallDetail = Static<typeof PluginInstallDetail>

const InstallOptions = {
  /** Required: what the manifest asks for, or fewer. Left out, the 422 lists what the plugin asks for. */
  grant: Type.Optional(PluginPermissions),
  config: Type.Optional(Config),
  enabled: Type.Optional(Type.Boolean({ default: true })),
  priority: Type.Optional(Priority),
}

export const MAX_BUNDLE_BYTES = 4 * 1024 * 1024

export const InstallPluginUpload = Type.Object(
  {
    source: Type.Literal("upload"),
    manifest: Type.Record(Type.String(), Type.Unknown(), { description: "manifest.json, checked on install" }),
    bundle: Type.String({ minLength: 1, maxLength: MAX_BUNDLE_BYTES, description: "The ESM bundle's text" }),
    sha256: Type.Optional(Sha256),
    ...InstallOptions,
  },
  { additionalProperties: false },
)
export const InstallPluginFromMarketplace = Type.Object(
  {
    source: Type.Literal("marketplace"),
    pluginId: PluginId,
    version: Type.Optional(SemVer),
    ...InstallOptions,
  },
  { additionalProperties: false },
)
export const InstallPlugin = Type.Union([InstallPluginUpload, InstallPluginFromMarketplace])
export type InstallPlugin = Static<typeof InstallPlugin>

export const ConfigurePlugin = Type.Object(
  {
    config: Type.Optional(Config),
    grant: Type.Optional(PluginPermissions),
    priority: Type.Optional(Priority),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type ConfigurePlugin = Static<typeof ConfigurePlugin>

/** Moves an install to another version from the marketplace, keeping its id, kv data, secrets, config and grant. */
export const UpgradePlugin = Type.Object(
  {
    version: Type.Optional(SemVer),
    /** Left out: the current grant, which must still be within what the new version asks for. */
    grant: Type.Optional(PluginPermissions),
    /** Left out: the current config, which must still be valid for the new version's configSchema. */
    config: Type.Optional(Config),
  },
  { additionalProperties: false },
)
export type UpgradePlugin = Static<typeof UpgradePlugin>

export const MarketplaceEntry = Type.Object({
  pluginId: PluginId,
  version: SemVer,
  name: Nullable(Type.String()),
  description: Nullable(Type.String()),
  sha256: Sha256,
  hooks: Type.Array(BoundHook),
  events: Type.Array(Type.String()),
  permissions: PluginPermissions,
  installed: Type.Boolean({ description: "An install of this plugin id exists" }),
  /** The installed version, if any: an older one can be upgraded to this entry. */
  installedVersion: Nullable(SemVer),
})
export type MarketplaceEntry = Static<typeof MarketplaceEntry>

export const SecretParams = Type.Object({ id: Uuid, name: SecretName })
export const SetSecret = Type.Object({ value: Type.String({ minLength: 1, maxLength: 16384 }) }, { additionalProperties: false })
