// The plugin manifest (manifest.json): identity, host API range, hooks, events, permissions, limits, config.
import { type Static, Type } from "@sinclair/typebox"
import { PluginActionDeclaration } from "./plugin-actions.ts"
import { FailMode, HookNameSchema } from "./plugin-hooks.ts"

export const PluginId = Type.String({
  minLength: 2,
  maxLength: 64,
  pattern: "^[a-z0-9][a-z0-9-]*(\\.[a-z0-9][a-z0-9-]*)*$",
  description: "Lower-case, dot-separated, e.g. streamspace.quotas",
})
export const SemVer = Type.String({
  maxLength: 64,
  pattern: "^(0|[1-9]\\d*)\\.(0|[1-9]\\d*)\\.(0|[1-9]\\d*)(-[0-9A-Za-z.-]+)?(\\+[0-9A-Za-z.-]+)?$",
})
export const EventPattern = Type.String({
  maxLength: 128,
  pattern: "^(\\*|[a-z][a-zA-Z0-9_]*(\\.[a-z][a-zA-Z0-9_]*)*(\\.\\*)?)$",
  description: "An event type such as session.started, or a prefix such as session.*",
})
export const SecretName = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z][A-Za-z0-9_.-]*$" })

export const HookBinding = Type.Object({ name: HookNameSchema, failMode: FailMode }, { additionalProperties: false })
export type HookBinding = Static<typeof HookBinding>

/** What a plugin asks for; the admin grants these (or fewer) at install time. Absent means not asked. */
export const PluginPermissions = Type.Object(
  {
    http: Type.Optional(
      Type.Object(
        {
          allow: Type.Array(Type.String({ minLength: 8, maxLength: 512, pattern: "^https?://[^/?#\\s]+(/[^?#\\s]*)?$" }), {
            maxItems: 64,
            description: "URL prefixes the plugin may fetch, e.g. https://api.example.com/v1/",
          }),
        },
        { additionalProperties: false },
      ),
    ),
    kv: Type.Optional(
      Type.Object(
        { quotaBytes: Type.Integer({ minimum: 1, maximum: 1024 * 1024 * 1024, description: "Keys plus values" }) },
        { additionalProperties: false },
      ),
    ),
    sessions: Type.Optional(Type.Union([Type.Literal("read"), Type.Literal("write")], { description: "write implies read" })),
    users: Type.Optional(Type.Union([Type.Literal("read"), Type.Literal("write")], { description: "write implies read" })),
    secrets: Type.Optional(
      Type.Array(SecretName, { maxItems: 64, description: "Names of the secrets an admin sets for the install and it may read" }),
    ),
    secretStore: Type.Optional(
      Type.Object(
        {
          maxSecrets: Type.Integer({
            minimum: 1,
            maximum: 1000,
            description: "Secrets the plugin may keep at once (host:api secrets.set), encrypted at rest",
          }),
        },
        { additionalProperties: false },
      ),
    ),
    crypto: Type.Optional(Type.Boolean({ description: "Password hashing, HMAC and random bytes" })),
  },
  { additionalProperties: false },
)
export type PluginPermissions = Static<typeof PluginPermissions>

export const PluginLimits = Type.Object(
  {
    memoryMb: Type.Integer({
      minimum: 8,
      maximum: 4096,
      default: 64,
      description: "Isolate heap limit (clamped by the operator)",
    }),
    hookTimeoutMs: Type.Integer({
      minimum: 1,
      maximum: 60000,
      default: 1000,
      description: "Per hook or event call (clamped by the operator)",
    }),
  },
  { additionalProperties: false },
)
export type PluginLimits = Static<typeof PluginLimits>

export const PluginManifest = Type.Object(
  {
    id: PluginId,
    version: SemVer,
    name: Type.Optional(Type.String({ maxLength: 128 })),
    description: Type.Optional(Type.String({ maxLength: 2000 })),
    hostApi: Type.String({ minLength: 1, maxLength: 64, description: "semver range of host:api versions, e.g. ^1.0.0" }),
    hooks: Type.Array(HookBinding, { maxItems: 64, default: [] }),
    events: Type.Array(EventPattern, { maxItems: 64, default: [] }),
    actions: Type.Optional(
      Type.Array(PluginActionDeclaration, {
        maxItems: 64,
        description: "Admin actions, run through the plugin.action hook (which the manifest must then declare)",
      }),
    ),
    permissions: PluginPermissions,
    limits: PluginLimits,
    configSchema: Type.Object(
      { type: Type.Literal("object") },
      { additionalProperties: true, description: "JSON Schema (2020-12) of the per-install config" },
    ),
  },
  { additionalProperties: false },
)
export type PluginManifest = Static<typeof PluginManifest>
