// checkedHost: the one place where a plugin's host call is checked (arguments, permission) before the core runs it.
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler"
import {
  HOST_API,
  type HostArgs,
  type HostMethod,
  type HostPermission,
  type HostResult,
  type PluginErrorCode,
  type PluginPermissions,
  registerFormats,
} from "@streamspace/schemas"

registerFormats()
import { type HostApi, type HostCallContext, HostCallError, type LogLevel } from "./host-api.ts"
import { urlAllowed } from "./http-allowlist.ts"

/** A name the install was granted under `secrets` is the admin's to set; any other name is the plugin's own. */
const adminSecret = (permissions: PluginPermissions, name: string) => permissions.secrets?.includes(name) === true

type Handlers = {
  [M in HostMethod]: (host: HostApi, ctx: HostCallContext, args: HostArgs<M>) => Promise<HostResult<M>> | HostResult<M>
}

const log =
  (level: LogLevel) =>
  async (host: HostApi, ctx: HostCallContext, [message, fields]: HostArgs<"log.info">): Promise<null> => {
    await host.log(ctx, level, message, fields)
    return null
  }

const handlers: Handlers = {
  "log.debug": log("debug"),
  "log.info": log("info"),
  "log.warn": log("warn"),
  "log.error": log("error"),
  "kv.get": async (h, ctx, [key]) => (await h.kv.get(ctx, key)) ?? null,
  "kv.set": async (h, ctx, [key, value, options]) => {
    await h.kv.set(ctx, key, value, { ttlSeconds: options?.ttlSeconds, quotaBytes: ctx.permissions.kv?.quotaBytes ?? 0 })
    return null
  },
  "kv.delete": (h, ctx, [key]) => h.kv.delete(ctx, key),
  "kv.increment": (h, ctx, [key, by, options]) =>
    h.kv.increment(ctx, key, by ?? 1, { ttlSeconds: options?.ttlSeconds, quotaBytes: ctx.permissions.kv?.quotaBytes ?? 0 }),
  "kv.list": (h, ctx, [prefix, limit]) => h.kv.list(ctx, prefix, limit ?? 100),
  "http.fetch": (h, ctx, [url, init]) => h.http.fetch(ctx, url, init ?? {}),
  "sessions.list": (h, ctx, [query]) => h.sessions.list(ctx, query ?? {}),
  "sessions.get": (h, ctx, [id]) => h.sessions.get(ctx, id),
  "sessions.usage": (h, ctx, [userId]) => h.sessions.usage(ctx, userId),
  "sessions.hibernate": (h, ctx, [id]) => h.sessions.hibernate(ctx, id),
  "sessions.stop": (h, ctx, [id, options]) => h.sessions.stop(ctx, id, options?.reason),
  "sessions.activity": (h, ctx) => h.sessions.activity(ctx),
  "sessions.warnIdle": async (h, ctx, [id, warning]) => {
    await h.sessions.warnIdle(ctx, id, warning)
    return null
  },
  "sessions.clearIdleWarning": async (h, ctx, [id]) => {
    await h.sessions.clearIdleWarning(ctx, id)
    return null
  },
  "users.get": (h, ctx, [id]) => h.users.get(ctx, id),
  "users.lookup": (h, ctx, [by]) => h.users.lookup(ctx, by),
  "users.create": (h, ctx, [input]) => h.users.create(ctx, input),
  "users.update": (h, ctx, [id, patch]) => h.users.update(ctx, id, patch),
  "crypto.hashPassword": (h, ctx, [password]) => h.crypto.hashPassword(ctx, password),
  "crypto.verifyPassword": (h, ctx, [password, hash]) => h.crypto.verifyPassword(ctx, password, hash),
  "crypto.hmac": (h, ctx, [algorithm, key, data, encoding]) => h.crypto.hmac(ctx, algorithm, key, data, encoding ?? "hex"),
  "crypto.randomBytes": (h, ctx, [length, encoding]) => h.crypto.randomBytes(ctx, length, encoding ?? "hex"),
  "secrets.get": (h, ctx, [name]) => h.secrets.get(ctx, name, adminSecret(ctx.permissions, name) ? "admin" : "plugin"),
  "secrets.set": async (h, ctx, [name, value]) => {
    await h.secrets.set(ctx, name, value, { maxSecrets: ctx.permissions.secretStore?.maxSecrets ?? 0 })
    return null
  },
  "secrets.delete": (h, ctx, [name]) => h.secrets.delete(ctx, name),
  "clock.now": (h, ctx) => h.clock.now(ctx),
}

const argChecks = Object.fromEntries(
  Object.entries(HOST_API).map(([method, definition]) => [method, TypeCompiler.Compile(definition.args)]),
) as Record<HostMethod, TypeCheck<(typeof HOST_API)[HostMethod]["args"]>>

const GRANT_NAMES: Record<Exclude<HostPermission, "none">, string> = {
  kv: "kv",
  http: "http",
  "sessions.read": "sessions: read",
  "sessions.write": "sessions: write",
  "users.read": "users: read",
  "users.write": "users: write",
  secrets: "secrets",
  secretStore: "secretStore",
  crypto: "crypto",
}

/** Why the call is refused, or undefined when the grant covers it. */
const refusal = (permissions: PluginPermissions, method: HostMethod, args: readonly unknown[]): string | undefined => {
  const needed = HOST_API[method].permission
  const denied = (grant: string) =>
    `This install was not granted "${grant}", which ${method} needs; an admin can grant it in the plugin's settings.`
  switch (needed) {
    case "none":
      return undefined
    case "kv":
      return permissions.kv ? undefined : denied(GRANT_NAMES.kv)
    case "http": {
      if (!permissions.http) return denied(GRANT_NAMES.http)
      const url = String(args[0])
      return urlAllowed(url, permissions.http.allow)
        ? undefined
        : `${url} is not on this install's http allowlist (${permissions.http.allow.join(", ") || "empty"}).`
    }
    case "sessions.read":
      return permissions.sessions ? undefined : denied(GRANT_NAMES["sessions.read"])
    case "sessions.write":
      return permissions.sessions === "write" ? undefined : denied(GRANT_NAMES["sessions.write"])
    case "users.read":
      return permissions.users ? undefined : denied(GRANT_NAMES["users.read"])
    case "users.write":
      return permissions.users === "write" ? undefined : denied(GRANT_NAMES["users.write"])
    case "secrets": {
      const name = String(args[0])
      return adminSecret(permissions, name) || permissions.secretStore
        ? undefined
        : `This install was not granted the secret "${name}"; an admin can grant it in the plugin's settings.`
    }
    case "secretStore": {
      if (!permissions.secretStore) return denied(GRANT_NAMES.secretStore)
      const name = String(args[0])
      return adminSecret(permissions, name)
        ? `The secret "${name}" is set by an admin (the manifest names it under secrets); ${method} works on the plugin's own secrets only.`
        : undefined
    }
    case "crypto":
      return permissions.crypto ? undefined : denied(GRANT_NAMES.crypto)
  }
}

export type HostCallOutcome = { value: unknown } | { code: PluginErrorCode; message: string }

/** Answers one install's host calls: checks the arguments and the grant, then runs the core's HostApi. */
export type CheckedHost = (method: HostMethod, args: unknown[]) => Promise<HostCallOutcome>

export const checkedHost = (ctx: HostCallContext, host: HostApi): CheckedHost =>
  async function checkedHostCall(method, args) {
    const check = argChecks[method]
    if (!check.Check(args)) {
      const first = check.Errors(args).First()
      return {
        code: "HOST_BAD_ARGUMENTS",
        message: `${method}: argument ${first?.path || "list"}: ${first?.message ?? "invalid"}`,
      }
    }
    const refused = refusal(ctx.permissions, method, args)
    if (refused !== undefined) return { code: "HOST_PERMISSION_DENIED", message: refused }
    try {
      const run = handlers[method] as (host: HostApi, ctx: HostCallContext, args: unknown[]) => unknown
      return { value: await run(host, ctx, args) }
    } catch (error) {
      if (error instanceof HostCallError) return { code: error.code, message: error.message }
      return { code: "HOST_CALL_FAILED", message: `${method} failed: ${error instanceof Error ? error.message : String(error)}` }
    }
  }
