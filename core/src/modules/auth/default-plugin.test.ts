// A fresh control plane installs the auth plugin from the marketplace by itself, so setup and sign-in work at once.
import { afterAll, beforeAll, expect, test } from "bun:test"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { buildPlugin } from "@streamspace/sdk/plugin/build"
import { ensureFirstAdmin } from "../../bootstrap.ts"
import { startTestCore, type TestCore } from "../../testing/test-core.ts"
import { listPlugins, uninstallPlugin } from "../plugins/service.ts"
import { AUTH_PLUGIN_ID, ensureAuthPlugin } from "./default-plugin.ts"

const PLUGIN_DIR = join(import.meta.dir, "..", "..", "..", "..", "plugins", "auth")
let marketplace: string
let core: TestCore

/** A marketplace like the first-party one (bun run build:plugins), built here so the test needs no prior build. */
beforeAll(async () => {
  marketplace = await mkdtemp(join(tmpdir(), "streamspace-auth-marketplace-"))
  const build = await buildPlugin(join(PLUGIN_DIR, "src", "plugin.ts"))
  await Bun.write(join(marketplace, "auth.js"), build.code)
  const manifest = await Bun.file(join(PLUGIN_DIR, "manifest.json")).json()
  const plugins = [{ manifest, bundle: "auth.js", sha256: build.sha256 }]
  await Bun.write(join(marketplace, "marketplace.json"), JSON.stringify({ plugins }))
  core = await startTestCore({ plugins: { marketplace } })
}, 60_000)
afterAll(async () => {
  await core.close()
  await rm(marketplace, { recursive: true, force: true })
})

const post = (path: string, body: unknown) =>
  core.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) })

test("the first start installs and enables streamspace.auth; the setup token then gives a working sign-in", async () => {
  expect(await ensureAuthPlugin(core.deps, core.plugins)).toBe("installed")
  const [install] = await listPlugins(core.deps, core.plugins)
  expect(install).toMatchObject({ pluginId: AUTH_PLUGIN_ID, enabled: true, status: "running" })

  const setup = await ensureFirstAdmin(core.deps.sql, "admin")
  if (setup === null) throw new Error("no setup token was issued")
  const created = await core.deps.sql`select payload from outbox where type = 'user.created' and payload->>'username' = 'admin'`
  expect(created.map((r) => r.payload)).toEqual([expect.objectContaining({ username: "admin", role: "admin" })])
  expect((await post("/api/v1/auth/setup", { token: setup.token, password: "a long enough password" })).status).toBe(200)
  const signIn = await post("/api/v1/auth/sign-in", { username: "admin", password: "a long enough password" })
  expect(signIn.status).toBe(200)
  const { accessToken } = (await signIn.json()) as { accessToken: string }
  const me = await core.fetch("/api/v1/me", { headers: { authorization: `Bearer ${accessToken}` } })
  expect(await me.json()).toMatchObject({ username: "admin", role: "admin" })
})

test("later starts leave the installs alone, even after an admin uninstalled the plugin", async () => {
  expect(await ensureAuthPlugin(core.deps, core.plugins)).toBe("present")
  const [install] = await listPlugins(core.deps, core.plugins)
  await uninstallPlugin(core.deps, core.plugins, install?.id as string)
  expect(await ensureAuthPlugin(core.deps, core.plugins)).toBe("present")
  expect(await listPlugins(core.deps, core.plugins)).toEqual([])
  const refused = await post("/api/v1/auth/sign-in", { username: "admin", password: "a long enough password" })
  expect(refused.status).toBe(503)
})
