// host:api v1 over the core's services: kv and secrets in the database, sessions and users through their services.
import {
  createHostApi,
  type HostApi,
  type HostApiOptions,
  type HostCallContext,
  HostCallError,
  type LogLevel,
} from "@streamspace/plugin-runtime/host"
import type { CoreDeps } from "../../deps.ts"
import { AppError, NotFound } from "../../http/errors.ts"
import type { Logger } from "../../infra/log.ts"
import {
  clearIdleWarning,
  findSession,
  findSessions,
  hibernate,
  sessionActivity,
  sessionUsageOf,
  stop,
  warnIdle,
} from "../sessions/service.ts"
import { createUser, findUserByEmail, findUserByName, getUser, updateUser } from "../users/service.ts"
import { createKvStore } from "./kv-store.ts"
import { deleteSecret, putOwnSecret, readSecret } from "./secrets.ts"
import { guardedFetch, type PrivateAllowance, type Resolver } from "./ssrf-guard.ts"

export interface CoreHostOptions extends Omit<HostApiOptions, "connect"> {
  /** The key of plugin secrets (PLUGIN_SECRETS_KEY or DATA_DIR/plugin-secrets.key). */
  secretsKey: () => Buffer
  /** Non-public addresses plugins may still reach (PLUGIN_HTTP_ALLOW_PRIVATE); everything else private is refused. */
  allowPrivate: PrivateAllowance
  /** DNS for the SSRF guard (tests); the system resolver by default. */
  resolve?: Resolver
}

/** The core's rules (a taken username, the last admin) reach the plugin as a HostCallError with their message. */
async function asHostError<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (error instanceof AppError) throw new HostCallError("HOST_CALL_FAILED", error.message)
    throw error
  }
}

/** The permission checks happen before these run (checkedHost in the supervisor); here is only the doing. */
export function createCoreHost(deps: CoreDeps, options: CoreHostOptions): HostApi {
  const loggers = new Map<string, Logger>()
  const loggerOf = (ctx: HostCallContext) => {
    let logger = loggers.get(ctx.installId)
    if (logger === undefined) {
      logger = deps.log.child({ module: "plugin", pluginId: ctx.pluginId, installId: ctx.installId })
      loggers.set(ctx.installId, logger)
    }
    return logger
  }

  return createHostApi(
    {
      log: (ctx: HostCallContext, level: LogLevel, message: string, fields?: Record<string, unknown>) => {
        // The plugin's fields go under one key, so it cannot overwrite ours (pluginId, level, time).
        loggerOf(ctx)[level](fields === undefined ? {} : { fields }, message)
      },
      kv: createKvStore(deps.sql),
      sessions: {
        list: (_ctx, query) => findSessions(deps, query),
        get: (_ctx, id) => findSession(deps, id),
        usage: (_ctx, userId) => sessionUsageOf(deps, userId),
        hibernate: (ctx, id) => asHostError(() => hibernate(deps, id, `hibernated by plugin ${ctx.pluginId}`)),
        stop: (ctx, id, reason) =>
          asHostError(async () => {
            const session = await findSession(deps, id)
            if (!session) throw new NotFound("That session")
            return stop(deps, session, reason ?? `stopped by plugin ${ctx.pluginId}`)
          }),
        activity: () => sessionActivity(deps),
        warnIdle: (_ctx, id, warning) => asHostError(() => warnIdle(deps, id, warning)),
        clearIdleWarning: (_ctx, id) => asHostError(() => clearIdleWarning(deps, id)),
      },
      users: {
        get: async (_ctx, id) => {
          try {
            return await getUser(deps, id)
          } catch (error) {
            if (error instanceof NotFound) return null
            throw error
          }
        },
        lookup: (_ctx, by) => ("username" in by ? findUserByName(deps, by.username) : findUserByEmail(deps, by.email)),
        create: (_ctx, input) => asHostError(() => createUser(deps, input)),
        update: (_ctx, id, patch) =>
          asHostError(async () => {
            try {
              return await updateUser(deps, id, patch)
            } catch (error) {
              if (error instanceof NotFound) return null
              throw error
            }
          }),
      },
      secrets: {
        get: (ctx, name, owner) => readSecret(deps.sql, options.secretsKey(), ctx.installId, owner, name),
        set: (ctx, name, value, { maxSecrets }) =>
          putOwnSecret(deps.sql, options.secretsKey(), ctx.installId, name, value, maxSecrets),
        delete: (ctx, name) => deleteSecret(deps.sql, ctx.installId, "plugin", name),
      },
    },
    { ...options, connect: guardedFetch(options.allowPrivate, options.resolve) },
  )
}
