// The control plane's entry point: the only place that reads the environment.
import { existsSync } from "node:fs"
import { join } from "node:path"
import { createApp } from "./app.ts"
import { ensureFirstAdmin, ensureSigningKey } from "./bootstrap.ts"
import { ConfigError, loadConfig } from "./config.ts"
import { connectPglite, connectPostgres, type Database } from "./infra/db/connect.ts"
import { migrate } from "./infra/db/migrate.ts"
import { createLogger } from "./infra/log.ts"
import { connectRedis, type RedisLink, redisReady } from "./infra/redis.ts"
import { type LocalAgent, startLocalDockerAgent } from "./local-agent.ts"
import { AUTH_PLUGIN_ID, ensureAuthPlugin } from "./modules/auth/default-plugin.ts"
import { upgradeFirstPartyPlugins } from "./modules/plugins/first-party.ts"
import { authOptionsFrom } from "./modules/auth/options.ts"
import { deriveReplicaSecret } from "./modules/agents/replica-auth.ts"
import { loadSecretsKey, SECRETS_KEY_FILE, type SecretsKey, SecretsKeyError } from "./modules/plugins/secrets-key.ts"
import { AllowanceError, parseAllowance } from "./modules/plugins/ssrf-guard.ts"
import { seedDefaultCatalog } from "./modules/templates/service.ts"

let config: ReturnType<typeof loadConfig>
try {
  config = loadConfig(process.env)
} catch (e) {
  if (!(e instanceof ConfigError)) throw e
  console.error(e.message)
  process.exit(2)
}

const log = createLogger(config.LOG_LEVEL)
const startedAt = performance.now()

// Redis first: a replica that cannot join the others should not touch the database.
let redis: RedisLink | null = null
if (config.REDIS_URL) {
  redis = connectRedis(config.REDIS_URL, log)
  try {
    await redisReady(redis)
  } catch (e) {
    console.error(`Cannot reach Redis (REDIS_URL): ${(e as Error).message}`)
    process.exit(1)
  }
}
let db: Database
try {
  db = config.DATABASE_URL ? await connectPostgres(config.DATABASE_URL) : await connectPglite(config.DATA_DIR)
} catch (e) {
  console.error(`Cannot open the database: ${(e as Error).message}`)
  process.exit(1)
}
const applied = await migrate(db.sql)
const signingKey = await ensureSigningKey(db.sql, config.JWT_SECRET)
let secretsKey: SecretsKey
try {
  secretsKey = await loadSecretsKey(db.sql, { configured: config.PLUGIN_SECRETS_KEY, dataDir: config.DATA_DIR })
} catch (e) {
  if (!(e instanceof SecretsKeyError)) throw e
  console.error(e.message)
  process.exit(2)
}
if (secretsKey.created)
  log.info({ file: join(config.DATA_DIR, SECRETS_KEY_FILE) }, "generated the key for plugin secrets; back this file up")
if (secretsKey.reencrypted > 0)
  log.info({ secrets: secretsKey.reencrypted }, "moved plugin secrets off the key kept in the database")
let auth: ReturnType<typeof authOptionsFrom>
try {
  auth = authOptionsFrom(config, signingKey)
} catch (e) {
  if (!(e instanceof ConfigError)) throw e
  console.error(e.message)
  process.exit(2)
}
const localHost = config.HOST === "0.0.0.0" || config.HOST === "::" ? "127.0.0.1" : config.HOST
const httpAllowPrivate = config.PLUGIN_HTTP_ALLOW_PRIVATE?.split(",").map((entry) => entry.trim())
try {
  parseAllowance(httpAllowPrivate ?? [])
} catch (e) {
  if (!(e instanceof AllowanceError)) throw e
  console.error(`Invalid configuration: PLUGIN_HTTP_ALLOW_PRIVATE: ${e.message}`)
  process.exit(2)
}
// From a checkout, the first-party plugins' index is the default marketplace.
const bundledMarketplace = join(import.meta.dir, "..", "..", "plugins", "marketplace.json")
const { app, deps, audit, hub, plugins, events, stopTicks } = createApp({
  db,
  log,
  signingKey,
  accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
  agents: {
    heartbeatIntervalMs: config.AGENT_HEARTBEAT_INTERVAL_MS,
    commandTimeoutMs: config.AGENT_COMMAND_TIMEOUT_MS,
    ...(redis
      ? {
          cluster: {
            redis,
            replicaUrl: () => config.REPLICA_URL ?? `http://${localHost}:${app.server?.port}`,
            replicaSecret: config.REPLICA_SECRET ?? deriveReplicaSecret(signingKey),
          },
        }
      : {}),
  },
  plugins: {
    run: config.PLUGINS_ENABLED === "true",
    marketplace: config.PLUGIN_MARKETPLACE ?? (existsSync(bundledMarketplace) ? bundledMarketplace : undefined),
    secretsKey: secretsKey.key,
    httpAllowPrivate,
    // Other replicas' installs and changes reach this one within this time.
    reconcileIntervalMs: 10_000,
  },
  auth,
})
if (await seedDefaultCatalog(deps)) log.info("installed the default catalog")
const setup = await ensureFirstAdmin(db.sql, config.ADMIN_USERNAME)
try {
  if ((await ensureAuthPlugin(deps, plugins)) === "installed")
    log.info({ pluginId: AUTH_PLUGIN_ID }, "installed the sign-in plugin")
} catch (e) {
  log.warn({ err: e }, `Sign-in is unavailable until an admin installs ${AUTH_PLUGIN_ID}: ${(e as Error).message}`)
}
try {
  for (const u of await upgradeFirstPartyPlugins(deps, plugins))
    if ("refused" in u)
      log.warn(u, `${u.pluginId} stays at ${u.from}: ${u.to} does not take its grant or config; an admin upgrades it by hand`)
    else log.info(u, `upgraded ${u.pluginId} to ${u.to}`)
} catch (e) {
  log.warn({ err: e }, `First-party plugins were not upgraded: ${(e as Error).message}`)
}

// Handlers go in before the ready line: a supervisor that signals as soon as it reads that line
// must get a graceful stop, not the default kill.
let stopping = false
let localAgent: LocalAgent | null = null
async function shutdown(signal: string) {
  if (stopping) return
  stopping = true
  log.info({ signal }, "shutting down")
  await localAgent?.stop()
  await hub?.stop()
  stopTicks()
  await events.stop()
  if (app.server) await app.stop()
  await plugins.stop()
  await redis?.close()
  await audit.settled()
  await db.close()
  process.exit(0)
}
process.on("SIGTERM", () => void shutdown("SIGTERM"))
process.on("SIGINT", () => void shutdown("SIGINT"))

app.listen({ port: config.PORT, hostname: config.HOST })
await hub?.start()
await events.start()
if (config.LOCAL_DOCKER_AGENT === "auto") {
  const host = localHost
  // In the background: a first start may build the desktop image for a couple of minutes.
  void startLocalDockerAgent(deps, {
    name: config.LOCAL_DOCKER_AGENT_NAME,
    url: `http://${host}:${app.server?.port}`,
    dockerSocket: config.DOCKER_SOCKET,
    dataDir: config.DATA_DIR,
    logLevel: config.LOG_LEVEL,
  })
    .then((agent) => {
      localAgent = agent
      if (stopping) void agent?.stop()
    })
    .catch((err) => log.error({ err }, "the local Docker agent could not start"))
}
log.info(
  {
    port: app.server?.port,
    database: db.kind,
    replicaId: hub?.replicaId,
    redis: redis !== null,
    migrationsApplied: applied,
    startMs: Math.round(performance.now() - startedAt),
  },
  "StreamSpace control plane ready",
)
if (setup) {
  // Printed on purpose, once per start until setup is done: the only way to claim the admin account.
  const url = `${config.PUBLIC_URL ?? `http://localhost:${app.server?.port}`}/setup`
  console.log(`\n  First run: open ${url} and enter this one-time setup token for "${setup.username}":\n\n    ${setup.token}\n`)
}
