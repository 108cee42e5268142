// The host side of host:api v1: what the core implements once for every plugin install.
import type {
  BinaryEncoding,
  CreateUser,
  HmacAlgorithm,
  HmacKey,
  HostSessionQuery,
  HttpRequestInit,
  HttpResponse,
  IdleWarning,
  PluginErrorCode,
  PluginPermissions,
  Session,
  SessionActivity,
  SessionUsage,
  UpdateUser,
  User,
  UserLookup,
} from "@streamspace/schemas"

/** Who is calling: every method receives it, so one HostApi object serves every install. */
export interface HostCallContext {
  installId: string
  pluginId: string
  /** What the admin granted this install (checked before the call reaches the HostApi). */
  permissions: PluginPermissions
}

export type LogLevel = "debug" | "info" | "warn" | "error"
export type SecretOwner = "admin" | "plugin"
export type Encoding = BinaryEncoding

export interface HostApi {
  log(ctx: HostCallContext, level: LogLevel, message: string, fields?: Record<string, unknown>): void | Promise<void>
  kv: {
    get(ctx: HostCallContext, key: string): Promise<unknown>
    /** Must refuse (HostCallError HOST_QUOTA_EXCEEDED) when keys plus values would pass `quotaBytes`. */
    set(ctx: HostCallContext, key: string, value: unknown, options: { ttlSeconds?: number; quotaBytes: number }): Promise<void>
    /** Atomic add; refuses (HOST_BAD_ARGUMENTS) a key that holds something other than a number, and past the quota. */
    increment(
      ctx: HostCallContext,
      key: string,
      by: number,
      options: { ttlSeconds?: number; quotaBytes: number },
    ): Promise<number>
    delete(ctx: HostCallContext, key: string): Promise<boolean>
    list(ctx: HostCallContext, prefix: string, limit: number): Promise<string[]>
  }
  http: {
    /** Called only for URLs the install's allowlist admits. */
    fetch(ctx: HostCallContext, url: string, init: HttpRequestInit): Promise<HttpResponse>
  }
  sessions: {
    list(ctx: HostCallContext, query: HostSessionQuery): Promise<Session[]>
    get(ctx: HostCallContext, id: string): Promise<Session | null>
    usage(ctx: HostCallContext, userId: string): Promise<SessionUsage>
    /** Through the state machine; a session that cannot go there (or is gone) is a HostCallError. */
    hibernate(ctx: HostCallContext, id: string): Promise<Session>
    stop(ctx: HostCallContext, id: string, reason: string | undefined): Promise<Session>
    activity(ctx: HostCallContext): Promise<SessionActivity[]>
    warnIdle(ctx: HostCallContext, id: string, warning: IdleWarning): Promise<void>
    clearIdleWarning(ctx: HostCallContext, id: string): Promise<void>
  }
  users: {
    get(ctx: HostCallContext, id: string): Promise<User | null>
    lookup(ctx: HostCallContext, by: UserLookup): Promise<User | null>
    /** Applies the core's rules (unique username and email, last admin); breaking one is a HostCallError. */
    create(ctx: HostCallContext, input: CreateUser): Promise<User>
    update(ctx: HostCallContext, id: string, patch: UpdateUser): Promise<User | null>
  }
  crypto: {
    hashPassword(ctx: HostCallContext, password: string): Promise<string>
    verifyPassword(ctx: HostCallContext, password: string, hash: string): Promise<boolean>
    hmac(ctx: HostCallContext, algorithm: HmacAlgorithm, key: HmacKey, data: string, encoding: Encoding): Promise<string> | string
    randomBytes(ctx: HostCallContext, length: number, encoding: Encoding): Promise<string> | string
  }
  /**
   * Two kinds per install, apart by `owner`: "admin" ones (named in the manifest, set through the admin
   * API, only read by the plugin) and "plugin" ones (the plugin's own: it sets, reads and deletes them).
   */
  secrets: {
    get(ctx: HostCallContext, name: string, owner: SecretOwner): Promise<string | null>
    /** A plugin-owned secret; must refuse (HOST_QUOTA_EXCEEDED) a new name past `maxSecrets`. */
    set(ctx: HostCallContext, name: string, value: string, options: { maxSecrets: number }): Promise<void>
    delete(ctx: HostCallContext, name: string): Promise<boolean>
  }
  clock: {
    now(ctx: HostCallContext): number
  }
}

/** An error the plugin sees with a stable code; anything else reaches it as HOST_CALL_FAILED. */
export class HostCallError extends Error {
  constructor(
    readonly code: PluginErrorCode,
    message: string,
  ) {
    super(message)
  }
}
