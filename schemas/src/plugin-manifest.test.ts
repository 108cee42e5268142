import { expect, test } from "bun:test"
import { Value } from "@sinclair/typebox/value"
import { PluginManifest } from "./plugin-manifest.ts"
import { pluginManifestJsonSchema } from "./plugin-manifest-json-schema.ts"
import { HOOKS } from "./plugin-hooks.ts"

const manifest = {
  id: "streamspace.quotas",
  version: "1.2.0",
  hostApi: "^1.0.0",
  hooks: [{ name: "session.beforeCreate", failMode: "closed" }],
  events: ["session.*"],
  permissions: { sessions: "read", kv: { quotaBytes: 65536 } },
  limits: { memoryMb: 32, hookTimeoutMs: 200 },
  configSchema: { type: "object", properties: { maxSessions: { type: "integer" } } },
}

test("a well-formed manifest passes and a hook the host does not know fails, naming the field", () => {
  expect(Value.Check(PluginManifest, manifest)).toBe(true)
  const bad = { ...manifest, hooks: [{ name: "session.explode", failMode: "closed" }] }
  const first = [...Value.Errors(PluginManifest, bad)][0]
  expect(first?.path).toStartWith("/hooks/0/name")
})

test("permissions refuse an http allowlist entry that is not a URL prefix", () => {
  const bad = { ...manifest, permissions: { http: { allow: ["*.example.com"] } } }
  expect(Value.Check(PluginManifest, bad)).toBe(false)
})

test("a fail-closed session.beforeCreate denies with the reason and a fail-open one allows", () => {
  const hook = HOOKS["session.beforeCreate"]
  expect(hook.fallback("closed", "the quotas plugin timed out")).toEqual({
    allow: false,
    code: "PLUGIN_UNAVAILABLE",
    reason: "the quotas plugin timed out",
  })
  expect(hook.fallback("open", "x")).toEqual({ allow: true })
})

test("the generated JSON Schema for authors is up to date (run `bun run generate:plugin-manifest`)", async () => {
  const onDisk = await Bun.file(new URL("../generated/plugin-manifest.schema.json", import.meta.url)).text()
  expect(onDisk).toBe(pluginManifestJsonSchema())
})
