import { expect, test } from "bun:test"
import {
  checkGrant,
  checkManifest,
  DEFAULT_OPERATOR_LIMITS,
  eventMatches,
  isSemverRange,
  PluginInstallError,
  sandboxLimits,
} from "./install-check.ts"
import { manifest } from "./test-fixtures.ts"

test("a manifest's limits are clamped to the operator's maxima", () => {
  const greedy = manifest({ limits: { memoryMb: 4096, hookTimeoutMs: 60_000 } })
  expect(sandboxLimits(greedy, DEFAULT_OPERATOR_LIMITS)).toEqual({
    memoryMb: 128,
    callTimeoutMs: 5000,
    loadTimeoutMs: 5000,
    maxPendingHostCalls: 64,
    maxPayloadBytes: 1024 * 1024,
  })
  expect(sandboxLimits(manifest({ limits: { memoryMb: 16, hookTimeoutMs: 50 } }), DEFAULT_OPERATOR_LIMITS)).toMatchObject({
    memoryMb: 16,
    callTimeoutMs: 50,
  })
})

test("a manifest listing a hook twice is refused, naming the field", () => {
  const twice = manifest({
    hooks: [
      { name: "session.beforeCreate", failMode: "closed" },
      { name: "session.beforeCreate", failMode: "open" },
    ],
  })
  expect(() => checkManifest(twice)).toThrow(
    new PluginInstallError("PLUGIN_MANIFEST_INVALID", "The manifest lists hook session.beforeCreate twice.", "/hooks"),
  )
})

test("actions need the plugin.action hook, and each name once", () => {
  const action = { name: "ping", description: "Sends a test" }
  expect(() => checkManifest(manifest({ actions: [action] }))).toThrow(
    new PluginInstallError(
      "PLUGIN_MANIFEST_INVALID",
      "The manifest declares actions but not the plugin.action hook that runs them.",
      "/hooks",
    ),
  )
  const hooks = [{ name: "plugin.action" as const, failMode: "closed" as const }]
  expect(() => checkManifest(manifest({ hooks, actions: [action, action] }))).toThrow(
    new PluginInstallError("PLUGIN_MANIFEST_INVALID", "The manifest lists action ping twice.", "/actions"),
  )
  expect(checkManifest(manifest({ hooks, actions: [action] })).actions).toEqual([action])
})

test("a hostApi that is not a semver range is refused (Bun.semver alone would read it as *)", () => {
  expect(() => checkManifest(manifest({ hostApi: "latest please" }))).toThrow('hostApi "latest please" is not a semver range')
  for (const ok of ["^1.0.0", "~1", "1.x", ">=1.0.0 <2", "1.0.0 - 1.5.0", "^0.9.0 || ^1.0.0", "*"])
    expect(isSemverRange(ok)).toBe(true)
  for (const bad of ["", "latest", "1.0.0 -", "^^1", "1.0.0.0"]) expect(isSemverRange(bad)).toBe(false)
})

test("a grant may narrow the request but not widen it", () => {
  const requested = {
    http: { allow: ["https://a.example/"] },
    kv: { quotaBytes: 1000 },
    sessions: "read" as const,
    secrets: ["A"],
  }
  expect(() => checkGrant(requested, { kv: { quotaBytes: 500 }, sessions: "read" })).not.toThrow()
  expect(() => checkGrant(requested, { kv: { quotaBytes: 5000 } })).toThrow("The grant gives a larger kv quota")
  expect(() => checkGrant(requested, { sessions: "write" })).toThrow("The grant gives sessions: write")
  expect(() => checkGrant(requested, { http: { allow: ["https://b.example/"] } })).toThrow("http access to https://b.example/")
  expect(() => checkGrant(requested, { secrets: ["B"] })).toThrow("the secret B")
  expect(() => checkGrant(requested, { secretStore: { maxSecrets: 1 } })).toThrow("a larger secret store")
  const store = { ...requested, secretStore: { maxSecrets: 10 } }
  expect(() => checkGrant(store, { secretStore: { maxSecrets: 10 } })).not.toThrow()
  expect(() => checkGrant(store, { secretStore: { maxSecrets: 11 } })).toThrow("a larger secret store")
})

test("event patterns match exact types, prefixes and everything", () => {
  expect(eventMatches("session.started", "session.started")).toBe(true)
  expect(eventMatches("session.*", "session.started")).toBe(true)
  expect(eventMatches("session.*", "sessions.started")).toBe(false)
  expect(eventMatches("*", "user.created")).toBe(true)
})
