// Manifests and bundles for the plugin host's tests: a probe plugin whose answers report what its host calls did.
import type { PluginManifest } from "@streamspace/schemas"

const PROBE_CONFIG_SCHEMA = {
  type: "object" as const,
  properties: {
    action: {
      enum: ["allow", "deny", "kv", "secret", "own-set", "own-get", "own-delete", "usage", "loop"],
      default: "allow",
    },
    size: { type: "integer", minimum: 1, default: 10 },
    /** The name and value of the plugin's own secret (the own-* actions). */
    name: { type: "string" },
    value: { type: "string" },
    limits: { type: "object", properties: { max: { type: "integer", minimum: 0 } }, additionalProperties: false },
  },
  additionalProperties: false,
}

export const probeManifest = (overrides: Partial<PluginManifest> = {}): PluginManifest => ({
  id: "test.probe",
  version: "1.0.0",
  name: "Probe",
  hostApi: "^1.0.0",
  hooks: [{ name: "session.beforeCreate", failMode: "closed" }],
  events: [],
  permissions: { kv: { quotaBytes: 256 }, secrets: ["apiToken"], secretStore: { maxSecrets: 2 }, sessions: "read" },
  limits: { memoryMb: 16, hookTimeoutMs: 300 },
  configSchema: PROBE_CONFIG_SCHEMA,
  ...overrides,
})

/**
 * session.beforeCreate does what `config.action` says and denies with code PROBE and the outcome as
 * the reason, so a test reads the host call's result from the problem+json of POST /sessions.
 */
export const PROBE_BUNDLE = `
import { kv, secrets, sessions, config, install } from "host:api"
const report = (reason) => ({ allow: false, code: "PROBE", reason: String(reason) })
const outcome = async (call) => { try { return "ok " + JSON.stringify(await call()) } catch (e) { return e.code + ": " + e.message } }
export default { hooks: { "session.beforeCreate": async ({ user }) => {
  switch (config.action) {
    case "kv": return report(await outcome(async () => { await kv.set("blob", "x".repeat(config.size)); return kv.get("blob") }))
    case "secret": return report(await outcome(() => secrets.get("apiToken")))
    case "own-set": return report(await outcome(async () => { await secrets.set(config.name, config.value); return secrets.get(config.name) }))
    case "own-get": return report(await outcome(() => secrets.get(config.name)))
    case "own-delete": return report(await outcome(() => secrets.delete(config.name)))
    case "usage": return report(await outcome(() => sessions.usage(user.id)))
    case "deny": return report("denied by " + install.pluginId)
    case "loop": for (;;) {}
    default: return { allow: true }
  }
} } }
`

/** Bundles are stored by hash with their manifest: each test plugin gets bytes of its own. */
export const probeBundle = (pluginId: string) => `${PROBE_BUNDLE}// ${pluginId}\n`

export const upload = (manifest: PluginManifest = probeManifest(), bundle = probeBundle(manifest.id)) => ({
  source: "upload" as const,
  manifest: manifest as unknown as Record<string, unknown>,
  bundle,
})
