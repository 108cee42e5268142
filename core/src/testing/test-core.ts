// Builds a real control plane for a test in one line: real database, real routes, typed clients.
import { randomBytes } from "node:crypto"
import { createClient } from "@streamspace/sdk/client"
import type { Role, User } from "@streamspace/schemas"
import { createApp } from "../app.ts"
import type { HubOptions } from "../modules/agents/hub.ts"
import { migrate } from "../infra/db/migrate.ts"
import { createLogger } from "../infra/log.ts"
import type { AuthRouteOptions } from "../modules/auth/index.ts"
import type { DispatcherOptions } from "../modules/events/dispatcher.ts"
import type { PluginHostOptions } from "../modules/plugins/plugin-host.ts"
import { createUser } from "../modules/users/service.ts"
import { openTestDatabase, type TestBackend } from "./test-database.ts"

export interface TestUser {
  user: User
  token: string
  api: ReturnType<typeof createClient>
  /** Raw request through the app, for cases the typed client cannot express (malformed bodies…). */
  fetch(path: string, init?: RequestInit): Promise<Response>
}

/** The key test cores sign access tokens with, for tests that forge or expire tokens by hand. */
export const TEST_SIGNING_KEY = "test-signing-key-that-is-long-enough-000000"

export interface TestCoreOptions {
  backend?: TestBackend
  /** With `agents`, the agent hub runs and the app listens on a free port (agents need a real socket). */
  agents?: HubOptions
  /** true: run the real plugin runtime (Node + isolated-vm); or the plugin host's options (`run` defaults to true). */
  plugins?: boolean | Partial<PluginHostOptions>
  /** Sign-in route options (cookies, public URL, OIDC); the object is kept, so a test may add OIDC later. */
  auth?: AuthRouteOptions
  /** Run the event dispatcher (true, or its options: quick retries for tests). Off by default. */
  events?: boolean | DispatcherOptions
}

/** Quick retries so a test sees a crashed plugin come back within its time budget. */
const TEST_PLUGIN_HOST: PluginHostOptions = {
  run: true,
  secretsKey: randomBytes(32),
  supervisor: { crashBackoff: { initialMs: 200, maxMs: 2000, maxCrashes: 3, stableAfterMs: 60_000 } },
}

export async function startTestCore(options: TestCoreOptions = {}) {
  const db = await openTestDatabase(options.backend)
  await migrate(db.sql)
  const log = createLogger(process.env.TEST_LOG_LEVEL ?? "silent")
  const plugins =
    options.plugins === undefined || options.plugins === false
      ? undefined
      : { ...TEST_PLUGIN_HOST, ...(options.plugins === true ? {} : options.plugins) }
  let listenUrl = ""
  const agents = withListenUrl(options.agents, () => listenUrl)
  const built = createApp({
    db,
    log,
    signingKey: TEST_SIGNING_KEY,
    accessTokenTtlSeconds: 900,
    ...(agents ? { agents } : {}),
    plugins,
    ...(options.auth ? { auth: options.auth } : {}),
    ...(typeof options.events === "object" ? { events: options.events } : {}),
  })
  const { app, deps, hub } = built
  if (hub) {
    app.listen({ port: 0, hostname: "127.0.0.1" })
    listenUrl = `http://127.0.0.1:${app.server?.port}`
    await hub.start()
  }
  const url = hub ? `http://127.0.0.1:${app.server?.port}` : null
  await built.plugins.ready
  if (options.events) await built.events.start()

  const request = (path: string, init: RequestInit = {}, token?: string) => {
    const headers = new Headers(init.headers)
    if (token && !headers.has("authorization")) headers.set("authorization", `Bearer ${token}`)
    return app.handle(new Request(`http://localhost${path}`, { ...init, headers }))
  }

  async function as(user: User): Promise<TestUser> {
    const { accessToken } = await deps.tokens.issue({ sub: user.id, role: user.role, name: user.username })
    return {
      user,
      token: accessToken,
      api: createClient(app, { token: accessToken }),
      fetch: (path, init) => request(path, init, accessToken),
    }
  }

  async function user(username: string, role: Role = "user"): Promise<TestUser> {
    return as(await createUser(deps, { username, role }))
  }

  return {
    app,
    deps,
    db,
    hub,
    /** The event dispatcher (running when the core was started with `events`). */
    events: built.events,
    /** The plugin host: its supervisor runs when the core was started with `plugins`. */
    plugins: built.plugins,
    /** Base URL of the listening app (only with `agents`). */
    url,
    /** The anonymous caller. */
    anon: createClient(app),
    fetch: (path: string, init?: RequestInit) => request(path, init),
    user,
    as,
    users: (...names: string[]) => Promise.all(names.map((n) => user(n))),
    admin: () => user(`admin-${Math.random().toString(36).slice(2, 8)}`, "admin"),
    /** Audit rows are written after the response; wait for them before asserting. */
    auditSettled: () => built.audit.settled(),
    async close() {
      built.stopTicks()
      await built.events.stop()
      if (hub) {
        await hub.stop()
        await app.stop(true)
      }
      await built.plugins.stop()
      await built.audit.settled()
      await db.close()
    },
  }
}
export type TestCore = Awaited<ReturnType<typeof startTestCore>>

/** A cluster's replicas learn each other's URL from Redis: a test replica's is known once it listens. */
function withListenUrl(agents: HubOptions | undefined, url: () => string): HubOptions | undefined {
  if (!agents?.cluster) return agents
  return { ...agents, cluster: { ...agents.cluster, replicaUrl: url } }
}

/** Another replica of `core`'s control plane: same database, its own hub and port (give each its own Redis link). */
export async function startReplica(core: TestCore, agents: HubOptions) {
  let listenUrl = ""
  const built = createApp({
    db: core.db,
    log: createLogger(process.env.TEST_LOG_LEVEL ?? "silent"),
    signingKey: TEST_SIGNING_KEY,
    accessTokenTtlSeconds: 900,
    agents: withListenUrl(agents, () => listenUrl),
  })
  const { app } = built
  const hub = built.hub as NonNullable<typeof built.hub>
  app.listen({ port: 0, hostname: "127.0.0.1" })
  listenUrl = `http://127.0.0.1:${app.server?.port}`
  await hub.start()
  return {
    app,
    hub,
    url: listenUrl,
    fetch: (path: string, init: RequestInit = {}, token?: string) => {
      const headers = new Headers(init.headers)
      if (token) headers.set("authorization", `Bearer ${token}`)
      return app.handle(new Request(`http://localhost${path}`, { ...init, headers }))
    },
    async close() {
      await hub.stop()
      await app.stop(true)
      await built.audit.settled()
    },
  }
}
