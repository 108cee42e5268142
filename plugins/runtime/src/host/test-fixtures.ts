// Manifests, bundles and data shared by the supervisor's tests and the benchmark.
import type { PluginManifest, PluginPermissions, Session, User } from "@streamspace/schemas"
import type { InstallSpec } from "./supervisor.ts"

export const ALICE: User = {
  id: "0b7c2a8e-4f51-4d3a-9c8e-2f1d5a6b7c80",
  username: "alice",
  email: "alice@example.com",
  displayName: "Alice",
  role: "user",
  disabled: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  lastSignInAt: null,
}

export const runningSession = (n: number, userId = ALICE.id): Session => ({
  id: `5e0d7a1c-1111-4a2b-8c3d-${String(n).padStart(12, "0")}`,
  userId,
  templateId: "9f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
  templateName: "xterm",
  state: "running",
  reason: null,
  agentId: null,
  resources: { cpu: 1, memory: 1024 },
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  startedAt: "2026-01-01T00:00:00.000Z",
  stoppedAt: null,
  lastActivityAt: null,
})

export const beforeCreateInput = (user: User = ALICE) => ({
  user: { id: user.id, username: user.username, role: user.role },
  request: { templateId: "9f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", templateName: "xterm", resources: { cpu: 1, memory: 1024 } },
})

export const manifest = (overrides: Partial<PluginManifest> = {}): PluginManifest => ({
  id: "test.plugin",
  version: "1.0.0",
  hostApi: "^1.0.0",
  hooks: [{ name: "session.beforeCreate", failMode: "closed" }],
  events: [],
  permissions: {},
  // Generous: tests about deadlines set their own, and a busy CI machine must not fail the others.
  limits: { memoryMb: 16, hookTimeoutMs: 2000 },
  configSchema: { type: "object" },
  ...overrides,
})

/** An install spec whose grant is exactly what the manifest asks for. */
export const install = (
  installId: string,
  bundle: string,
  overrides: Partial<PluginManifest> = {},
  config: unknown = {},
): InstallSpec => {
  const m = manifest(overrides)
  return { installId, manifest: m, bundle, config, granted: m.permissions as PluginPermissions }
}

/** A bundle whose session.beforeCreate is `body` (an expression), after `prelude`. */
export const hookBundle = (body: string, prelude = "") =>
  `${prelude}\nexport default { hooks: { "session.beforeCreate": ${body} } }\n`

export const ALLOW_ALL = hookBundle(`() => ({ allow: true })`)

/** The quota policy from STYLE.md, as a bundle. */
export const QUOTA_BUNDLE = hookBundle(
  `async ({ user }, host) => {
    const usage = await host.sessions.usage(user.id)
    const max = host.config.maxSessions
    return usage.active < max ? { allow: true } : { allow: false, code: "QUOTA_EXCEEDED", reason: "limit of " + max + " running sessions reached" }
  }`,
)
