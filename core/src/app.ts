// Builds the control plane as an Elysia app without listening: tests call app.handle, main.ts listens.
import { openapi } from "@elysiajs/openapi"
import { registerFormats } from "@streamspace/schemas"
import { Elysia } from "elysia"
import type { CoreDeps } from "./deps.ts"
import { healthRoutes } from "./http/health.ts"
import { httpPlugins } from "./http/plugins.ts"
import { problemResponse, toAppError } from "./http/problem.ts"
import { staticUi } from "./http/static-ui.ts"
import { AuditWriter } from "./modules/audit/writer.ts"
import type { Database } from "./infra/db/connect.ts"
import type { Logger } from "./infra/log.ts"
import { agentConnectRoute } from "./modules/agents/connect-route.ts"
import { createAgentHub, type HubOptions } from "./modules/agents/hub.ts"
import { agentRoutes } from "./modules/agents/index.ts"
import { apiKeyRoutes } from "./modules/api-keys/index.ts"
import { auditRoutes } from "./modules/audit/index.ts"
import { EventDispatcher, type DispatcherOptions } from "./modules/events/dispatcher.ts"
import { eventRoutes } from "./modules/events/index.ts"
import { createStreamTickets } from "./modules/events/stream.ts"
import { OutboxTail } from "./modules/events/tail.ts"
import { type AuthRouteOptions, authRoutes } from "./modules/auth/index.ts"
import { authPolicyOver } from "./modules/auth/policy.ts"
import { createPrincipalResolver } from "./modules/identity/principal.ts"
import { createTokenService } from "./modules/identity/tokens.ts"
import { pluginRoutes } from "./modules/plugins/index.ts"
import { PluginHost, type PluginHostOptions } from "./modules/plugins/plugin-host.ts"
import { startTicker } from "./modules/plugins/ticker.ts"
import { sessionRoutes } from "./modules/sessions/index.ts"
import { templateRoutes } from "./modules/templates/index.ts"
import { userRoutes } from "./modules/users/index.ts"
import { replicaStreamRoute } from "./modules/agents/replica-stream-route.ts"
import { vncRoutes } from "./modules/vnc/index.ts"

// @elysiajs/openapi, on import, replaces TypeBox's uuid and email checks with ones that build a zod
// schema on every call: a 50-session list spent ~20 ms in them. Plain checks go back in here.
registerFormats({ replace: true })

export const OPENAPI_JSON_PATH = "/api/openapi/json"

export interface AppOptions {
  db: Database
  log: Logger
  signingKey: string
  accessTokenTtlSeconds: number
  /** Runs the agent hub (agents connect, sessions reach them). Without it sessions stay pending. */
  agents?: HubOptions
  /** The plugin host; by default installs can be managed but the runtime does not run (main.ts turns it on). */
  plugins?: PluginHostOptions
  /** Sign-in: cookie security, the public URL for links, OIDC (main.ts builds it from the environment). */
  auth?: AuthRouteOptions
  /** Event delivery to plugins: retries, backoff, poll (defaults suit production). */
  events?: DispatcherOptions
}

export function createApp(options: AppOptions) {
  const { db, log } = options
  const tokens = createTokenService(options.signingKey, options.accessTokenTtlSeconds)
  const deps = { db, sql: db.sql, log, tokens } as CoreDeps
  deps.principals = createPrincipalResolver(deps)
  const hub = options.agents ? createAgentHub(deps, options.agents) : null
  const redis = options.agents?.cluster?.redis
  if (hub) {
    deps.scheduler = hub.scheduler
    deps.agentConnections = hub.connections
  }
  const audit = new AuditWriter(db.sql, log)
  const http = httpPlugins(audit, deps.principals)
  const plugins = new PluginHost(deps, options.plugins ?? { run: false })
  if (options.plugins?.run) {
    deps.sessionPolicy = plugins.sessionPolicy
    deps.authPolicy = authPolicyOver((hook, input, until) => plugins.runHook(hook, input, until))
    plugins.start().catch((error: unknown) => log.error({ err: error }, "the plugin host did not start"))
  }
  // Runs whether or not plugins do: events wait in the outbox until their subscribers can take them.
  const events = new EventDispatcher(db, plugins.eventConsumers, log, options.events)
  deps.events = events
  // Plugins' `tick` (e.g. hibernation) runs on the dispatcher's replica only: one per cluster.
  const stopTicks = options.plugins?.run
    ? startTicker(plugins, log.child({ module: "plugin-ticks" }), {
        intervalMs: options.plugins.tickIntervalMs ?? 10_000,
        isLeader: () => events.isLeader(),
      })
    : () => {}

  const app = new Elysia({
    name: "streamspace-core",
    // Desktop pixels are relayed as they come: compressing them again costs CPU on every byte for
    // little gain (VNC encodings already compress), so WebSockets never negotiate permessage-deflate.
    websocket: { perMessageDeflate: false },
  })
    .onError(({ code, error, request, set, body, query }) => {
      const requestId = typeof set.headers["x-request-id"] === "string" ? set.headers["x-request-id"] : undefined
      const where = code === "VALIDATION" ? String((error as { type?: string }).type ?? "body") : "body"
      const known = toAppError(code, error, where, { body, query })
      if (known) {
        set.status = known.status
        return problemResponse(known, requestId)
      }
      log.error({ err: error, url: request.url, method: request.method, requestId }, "unhandled error")
      set.status = 500
      return new Response(
        JSON.stringify({
          type: "about:blank",
          title: "Internal error",
          status: 500,
          detail: "Something went wrong on our side. The request id identifies it in the logs.",
          code: "INTERNAL",
          ...(requestId ? { requestId } : {}),
        }),
        { status: 500, headers: { "content-type": "application/problem+json" } },
      )
    })
    .use(
      openapi({
        path: "/api/docs",
        specPath: OPENAPI_JSON_PATH,
        documentation: {
          info: { title: "StreamSpace API", version: "1.0.0", description: "Control plane of StreamSpace." },
          components: {
            securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "Access token (JWT) or API key (ssk_…)" } },
          },
          security: [{ bearer: [] }],
        },
      }),
    )
    .use(healthRoutes(db))
    .use(hub ? agentConnectRoute(deps, hub) : new Elysia({ name: "agent-connect" }))
    .use(userRoutes(deps, http))
    .use(apiKeyRoutes(deps, http))
    .use(templateRoutes(deps, http))
    .use(sessionRoutes(deps, http))
    .use(agentRoutes(deps, http))
    .use(auditRoutes(deps, http))
    .use(eventRoutes(deps, http, { tail: new OutboxTail(db, log), tickets: createStreamTickets(options.signingKey) }))
    .use(
      hub?.cluster
        ? replicaStreamRoute(hub.cluster.replicaSecret, hub, log.child({ module: "replica-link" }))
        : new Elysia({ name: "replica-streams" }),
    )
    .use(vncRoutes(deps, http, { ...(hub ? { streams: hub } : {}), ...(redis ? { redis } : {}) }))
    .use(pluginRoutes(deps, http, plugins))
    .use(authRoutes(deps, http, options.auth ?? { cookies: { secure: false } }))
    .use(staticUi())
  audit.learnActions(app.routes)

  return { app, deps, audit, hub, plugins, events, stopTicks }
}

export type CoreApp = ReturnType<typeof createApp>["app"]
