// host:api v1: every call a plugin can make into the host, with its arguments, result and permission.
import { type Static, type TSchema, Type } from "@sinclair/typebox"
import { CreateUser, Email, UpdateUser, User, Username } from "./user.ts"
import { Session, SessionState } from "./session.ts"
import { Nullable, Timestamp, Uuid } from "./common.ts"

export const HOST_API_VERSION = "1.0.0"

/** Arguments are a positional tuple; an optional last one may be left out. */
const args = <R extends TSchema[]>(...required: [...R]) => Type.Tuple(required)
const argsOpt = <R extends TSchema[], O extends TSchema>(required: [...R], optional: O) =>
  Type.Union([Type.Tuple(required), Type.Tuple([...required, optional])])

export const KvKey = Type.String({ minLength: 1, maxLength: 512 })
const SessionActOptions = Type.Object(
  { reason: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) },
  { additionalProperties: false },
)
const KvTtl = Type.Object({ ttlSeconds: Type.Optional(Type.Integer({ minimum: 1 })) }, { additionalProperties: false })
export const JsonValue = Type.Unknown({ description: "Any JSON value" })
export const LogFields = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown())
export const LogMessage = Type.String({ maxLength: 4000 })

export const HttpRequestInit = Type.Object(
  {
    method: Type.Optional(Type.Union(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"].map((m) => Type.Literal(m)))),
    headers: Type.Optional(Type.Record(Type.String({ maxLength: 256 }), Type.String({ maxLength: 8192 }))),
    body: Type.Optional(Type.String({ maxLength: 1024 * 1024 })),
    timeoutMs: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 60000, description: "Give up sooner than the operator's limit (never later)" }),
    ),
  },
  { additionalProperties: false },
)
export type HttpRequestInit = Static<typeof HttpRequestInit>
export const HttpResponse = Type.Object({
  status: Type.Integer(),
  headers: Type.Record(Type.String(), Type.String()),
  body: Type.String({ description: "The response body as text (UTF-8)" }),
})
export type HttpResponse = Static<typeof HttpResponse>

export const HostSessionQuery = Type.Object(
  { userId: Type.Optional(Uuid), states: Type.Optional(Type.Array(SessionState, { maxItems: 16 })) },
  { additionalProperties: false },
)
export type HostSessionQuery = Static<typeof HostSessionQuery>
export const SessionUsage = Type.Object({
  userId: Uuid,
  active: Type.Integer({ minimum: 0, description: "Sessions in an active state" }),
  cpu: Type.Number({ minimum: 0, description: "CPU cores held by active sessions" }),
  memory: Type.Integer({ minimum: 0, description: "MiB held by active sessions" }),
})
export type SessionUsage = Static<typeof SessionUsage>

export const UserLookup = Type.Union([
  Type.Object({ username: Username }, { additionalProperties: false }),
  Type.Object({ email: Email }, { additionalProperties: false }),
])
export type UserLookup = Static<typeof UserLookup>

export const HmacAlgorithm = Type.Union([Type.Literal("sha256"), Type.Literal("sha512")])
export type HmacAlgorithm = Static<typeof HmacAlgorithm>
export const BinaryEncoding = Type.Union([Type.Literal("hex"), Type.Literal("base64"), Type.Literal("base64url")])
export type BinaryEncoding = Static<typeof BinaryEncoding>
/** Text (used as UTF-8), or raw bytes given as base64 (e.g. a Standard Webhooks `whsec_` secret's key). */
export const HmacKey = Type.Union([
  Type.String({ minLength: 1, maxLength: 4096 }),
  Type.Object(
    { base64: Type.String({ minLength: 1, maxLength: 4096, pattern: "^[A-Za-z0-9+/]+={0,2}$" }) },
    { additionalProperties: false },
  ),
])
export type HmacKey = Static<typeof HmacKey>
export const SecretNameArg = Type.String({ minLength: 1, maxLength: 64 })
/** The names a plugin gives its own secrets: those of the manifest's, so both read alike in logs and the admin API. */
export const OwnSecretName = Type.String({ minLength: 1, maxLength: 64, pattern: "^[A-Za-z][A-Za-z0-9_.-]*$" })
/** A signing key, token or password: text, at most 4 KiB. */
export const SecretValue = Type.String({ minLength: 1, maxLength: 4096 })

export const SessionActivity = Type.Object({
  sessionId: Uuid,
  userId: Uuid,
  templateId: Nullable(Uuid),
  templateName: Type.String(),
  /** When the session first ran. */
  startedAt: Timestamp,
  /** When the session last became running (after a start or a wake). */
  runningSince: Timestamp,
  /** The last viewer input the relay recorded (written at most every VNC activity interval); null: none yet. */
  lastInputAt: Nullable(Timestamp),
})
export type SessionActivity = Static<typeof SessionActivity>

export const IdleWarning = Type.Object(
  {
    action: Type.Union([Type.Literal("hibernate"), Type.Literal("stop")]),
    deadline: Timestamp,
    reason: Type.String({ minLength: 1, maxLength: 500 }),
  },
  { additionalProperties: false },
)
export type IdleWarning = Static<typeof IdleWarning>

/** Which grant a call needs; checked on the host, never in the sandbox. */
export type HostPermission =
  | "none"
  | "kv"
  | "http"
  | "sessions.read"
  | "sessions.write"
  | "users.read"
  | "users.write"
  | "secrets"
  | "secretStore"
  | "crypto"

interface HostMethodDefinition<A extends TSchema, R extends TSchema> {
  args: A
  result: R
  permission: HostPermission
}
const method = <A extends TSchema, R extends TSchema>(args: A, result: R, permission: HostPermission) =>
  ({ args, result, permission }) satisfies HostMethodDefinition<A, R>

const logMethod = method(argsOpt([LogMessage], LogFields), Type.Null(), "none")

export const HOST_API = {
  "log.debug": logMethod,
  "log.info": logMethod,
  "log.warn": logMethod,
  "log.error": logMethod,
  "kv.get": method(args(KvKey), JsonValue, "kv"),
  "kv.set": method(argsOpt([KvKey, JsonValue], KvTtl), Type.Null(), "kv"),
  /**
   * Adds `by` (default 1) to a number and answers the new value, atomically: parallel calls never
   * lose a count. A missing or expired key starts from 0 and takes the TTL; a live key keeps its expiry
   * (a fixed window). A key holding something other than a number is refused.
   */
  "kv.increment": method(
    Type.Union([Type.Tuple([KvKey]), Type.Tuple([KvKey, Type.Number()]), Type.Tuple([KvKey, Type.Number(), KvTtl])]),
    Type.Number(),
    "kv",
  ),
  "kv.delete": method(args(KvKey), Type.Boolean(), "kv"),
  "kv.list": method(
    argsOpt([Type.String({ maxLength: 512 })], Type.Integer({ minimum: 1, maximum: 1000 })),
    Type.Array(KvKey),
    "kv",
  ),
  "http.fetch": method(argsOpt([Type.String({ minLength: 1, maxLength: 4096 })], HttpRequestInit), HttpResponse, "http"),
  "sessions.list": method(argsOpt([], HostSessionQuery), Type.Array(Session), "sessions.read"),
  "sessions.get": method(args(Uuid), Type.Union([Session, Type.Null()]), "sessions.read"),
  "sessions.usage": method(args(Uuid), SessionUsage, "sessions.read"),
  /** Acting on a session (e.g. the hibernation plugin): the state machine's rules apply; the reason is kept on the session. */
  "sessions.hibernate": method(args(Uuid), Session, "sessions.write"),
  "sessions.stop": method(argsOpt([Uuid], SessionActOptions), Session, "sessions.write"),
  /** Viewer activity of running sessions, as the VNC relay records it (the hibernation plugin's input). */
  "sessions.activity": method(args(), Type.Array(SessionActivity), "sessions.read"),
  /** Tells the session's viewers (event session.idle_warning) that `action` happens at `deadline` unless they act. */
  "sessions.warnIdle": method(args(Uuid, IdleWarning), Type.Null(), "sessions.write"),
  /** Withdraws a warning (event session.idle_warning_cleared): a viewer was active again. */
  "sessions.clearIdleWarning": method(args(Uuid), Type.Null(), "sessions.write"),
  "users.get": method(args(Uuid), Type.Union([User, Type.Null()]), "users.read"),
  "users.lookup": method(args(UserLookup), Type.Union([User, Type.Null()]), "users.read"),
  /** Provisioning (e.g. the auth plugin's OIDC sign-in); the core's own rules apply, a taken username fails. */
  "users.create": method(args(CreateUser), User, "users.write"),
  "users.update": method(args(Uuid, UpdateUser), Type.Union([User, Type.Null()]), "users.write"),
  "crypto.hashPassword": method(args(Type.String({ minLength: 1, maxLength: 1024 })), Type.String(), "crypto"),
  "crypto.verifyPassword": method(
    args(Type.String({ maxLength: 1024 }), Type.String({ maxLength: 1024 })),
    Type.Boolean(),
    "crypto",
  ),
  "crypto.hmac": method(
    argsOpt([HmacAlgorithm, HmacKey, Type.String({ maxLength: 1024 * 1024 })], BinaryEncoding),
    Type.String(),
    "crypto",
  ),
  "crypto.randomBytes": method(argsOpt([Type.Integer({ minimum: 1, maximum: 1024 })], BinaryEncoding), Type.String(), "crypto"),
  /**
   * A secret by name: one the admin set (a name the install was granted under `secrets`), else one the
   * plugin keeps itself (needs `secretStore`). Decrypted only for this call; null when there is none.
   */
  "secrets.get": method(args(SecretNameArg), Type.Union([Type.String(), Type.Null()]), "secrets"),
  /** Keeps a secret of the plugin's own, encrypted at rest; past the grant's maxSecrets it is refused. */
  "secrets.set": method(args(OwnSecretName, SecretValue), Type.Null(), "secretStore"),
  /** Removes one of the plugin's own secrets; false when there was none. */
  "secrets.delete": method(args(OwnSecretName), Type.Boolean(), "secretStore"),
  "clock.now": method(args(), Type.Number({ description: "Milliseconds since the Unix epoch" }), "none"),
} as const

export type HostApiTable = typeof HOST_API
export type HostMethod = keyof HostApiTable
export type HostArgs<M extends HostMethod> = Static<HostApiTable[M]["args"]>
export type HostResult<M extends HostMethod> = Static<HostApiTable[M]["result"]>
export const HOST_METHODS = Object.keys(HOST_API) as HostMethod[]
export const HostMethodSchema = Type.Union(HOST_METHODS.map((m) => Type.Literal(m)))
export const isHostMethod = (name: string): name is HostMethod => Object.hasOwn(HOST_API, name)
