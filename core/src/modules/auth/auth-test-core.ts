// A listening test core with the plugin runtime and the first-party auth plugin installed, and an HTTP client for it.
import { join } from "node:path"
import type { PluginManifest } from "@streamspace/schemas"
import { buildPlugin } from "@streamspace/sdk/plugin/build"
import { startTestCore } from "../../testing/test-core.ts"
import type { TestBackend } from "../../testing/test-database.ts"
import { installPlugin } from "../plugins/service.ts"
import type { AuthRouteOptions } from "./request-info.ts"

const PLUGIN_DIR = join(import.meta.dir, "..", "..", "..", "..", "plugins", "auth")

interface RequestOptions {
  token?: string
  cookie?: string
}

/** Starts the core with the auth plugin configured by `config` (its configSchema), listening on 127.0.0.1. */
export async function startAuthCore(config: Record<string, unknown> = {}, options: { backend?: TestBackend } = {}) {
  const authOptions: AuthRouteOptions = { cookies: { secure: false } }
  const core = await startTestCore({ ...options, plugins: true, auth: authOptions })
  const manifest = (await Bun.file(join(PLUGIN_DIR, "manifest.json")).json()) as PluginManifest
  const { code } = await buildPlugin(join(PLUGIN_DIR, "src", "plugin.ts"))
  const installed = await installPlugin(core.deps, core.plugins, {
    source: "upload",
    manifest: manifest as unknown as Record<string, unknown>,
    bundle: code,
    grant: manifest.permissions,
    config,
  })
  if (installed.status !== "running") throw new Error(`the auth plugin did not start: ${JSON.stringify(installed)}`)
  core.app.listen({ port: 0, hostname: "127.0.0.1" })
  const url = `http://127.0.0.1:${core.app.server?.port}`

  const raw = (path: string, init: RequestInit = {}) => fetch(`${url}${path}`, { redirect: "manual", ...init })
  const send = (method: string, path: string, body: unknown, options: RequestOptions = {}) => {
    const headers: Record<string, string> = { "user-agent": "auth-test" }
    if (body !== undefined) headers["content-type"] = "application/json"
    if (options.token) headers.authorization = `Bearer ${options.token}`
    if (options.cookie) headers.cookie = options.cookie
    return raw(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
  }

  return {
    url,
    deps: core.deps,
    /** Mutable: tests add OIDC once the provider's address is known. */
    authOptions,
    /** Set by the setup test once the admin has a password. */
    adminToken: "",
    raw,
    auditSettled: () => core.auditSettled(),
    get: (path: string, options?: RequestOptions) => send("GET", path, undefined, options),
    post: (path: string, body?: unknown, options?: RequestOptions) => send("POST", path, body, options),
    delete: (path: string, options?: RequestOptions) => send("DELETE", path, undefined, options),
    async close() {
      await core.app.stop(true)
      await core.close()
    },
  }
}
export type AuthTestCore = Awaited<ReturnType<typeof startAuthCore>>
