// Control-plane configuration, read from the environment once at start-up.
import { type Static, Type } from "@sinclair/typebox"
import { AgentName } from "./agent.ts"

export const LogLevel = Type.Union([
  Type.Literal("fatal"),
  Type.Literal("error"),
  Type.Literal("warn"),
  Type.Literal("info"),
  Type.Literal("debug"),
  Type.Literal("trace"),
  Type.Literal("silent"),
])

export const CoreConfig = Type.Object({
  PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: "HTTP port to listen on" }),
  HOST: Type.String({ minLength: 1, default: "0.0.0.0", description: "Address to bind" }),
  DATABASE_URL: Type.Optional(
    Type.String({ pattern: "^postgres(ql)?://", writeOnly: true, description: "PostgreSQL URL; unset → embedded PGlite" }),
  ),
  DATA_DIR: Type.String({ minLength: 1, default: "./data", description: "Where the embedded database lives" }),
  JWT_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      writeOnly: true,
      description: "HS256 key for access tokens; unset → generated once and kept in the database",
    }),
  ),
  ACCESS_TOKEN_TTL_SECONDS: Type.Integer({ minimum: 30, maximum: 86400, default: 900 }),
  LOG_LEVEL: Type.Union(LogLevel.anyOf, { default: "info", description: "fatal | error | warn | info | debug | trace | silent" }),
  ADMIN_USERNAME: Type.String({
    pattern: "^[a-z0-9][a-z0-9._-]{1,63}$",
    default: "admin",
    description: "Name of the first admin account",
  }),
  PUBLIC_URL: Type.Optional(Type.String({ pattern: "^https?://", description: "URL users reach the portal at" })),
  OIDC_ISSUER: Type.Optional(
    Type.String({ pattern: "^https?://", description: "OIDC issuer URL; set with OIDC_CLIENT_ID to offer OIDC sign-in" }),
  ),
  OIDC_CLIENT_ID: Type.Optional(
    Type.String({ minLength: 1, maxLength: 512, description: "Client id registered at the OIDC provider" }),
  ),
  OIDC_CLIENT_SECRET: Type.Optional(
    Type.String({ minLength: 1, description: "Client secret; unset → a public client (PKCE only)" }),
  ),
  OIDC_REDIRECT_URI: Type.Optional(
    Type.String({
      pattern: "^https?://",
      description: "Callback URL registered at the provider; default PUBLIC_URL + /api/v1/auth/oidc/callback",
    }),
  ),
  OIDC_SCOPES: Type.String({ minLength: 1, default: "openid email profile", description: "Scopes asked for, space-separated" }),
  OIDC_ROLE_CLAIM: Type.String({
    minLength: 1,
    default: "groups",
    description: "Claim whose values the auth plugin maps to roles",
  }),
  OIDC_NAME: Type.String({
    minLength: 1,
    maxLength: 64,
    default: "Single sign-on",
    description: "Label of the OIDC sign-in button",
  }),
  OIDC_ALLOW_INSECURE: Type.Union([Type.Literal("true"), Type.Literal("false")], {
    default: "false",
    description: "Allow a plain-http OIDC provider: for tests on loopback only",
  }),
  AGENT_HEARTBEAT_INTERVAL_MS: Type.Integer({
    minimum: 100,
    maximum: 60000,
    default: 5000,
    description: "How often agents send heartbeats; an agent silent for 3 intervals is offline",
  }),
  AGENT_COMMAND_TIMEOUT_MS: Type.Integer({
    minimum: 1000,
    maximum: 3600000,
    default: 120000,
    description: "How long an agent may take to start, stop, hibernate or wake a session before it is marked failed",
  }),
  LOCAL_DOCKER_AGENT: Type.Union([Type.Literal("auto"), Type.Literal("off")], {
    default: "auto",
    description: "auto: start a local Docker agent when the Docker socket exists; off: never",
  }),
  LOCAL_DOCKER_AGENT_NAME: Type.Union([AgentName], {
    default: "local-docker",
    description: "Name the local Docker agent registers under (it scopes its containers on the Docker host)",
  }),
  DOCKER_SOCKET: Type.String({ minLength: 1, default: "/var/run/docker.sock", description: "Docker socket of the local agent" }),
  PLUGINS_ENABLED: Type.Union([Type.Literal("true"), Type.Literal("false")], {
    default: "true",
    description: "true | false: run the plugin runtime (a Node.js child process)",
  }),
  PLUGIN_MARKETPLACE: Type.Optional(
    Type.String({ minLength: 1, description: "A marketplace index: a JSON file, or a directory holding marketplace.json" }),
  ),
  REDIS_URL: Type.Optional(
    Type.String({
      pattern: "^rediss?://",
      writeOnly: true,
      description:
        "Redis URL (redis://host:6379/0); set it on every replica to run several. Unset → one replica, registry in memory",
    }),
  ),
  REPLICA_URL: Type.Optional(
    Type.String({
      pattern: "^https?://",
      description: "URL the other replicas reach this one at; default http://HOST:PORT (127.0.0.1 when HOST is 0.0.0.0)",
    }),
  ),
  REPLICA_SECRET: Type.Optional(
    Type.String({
      minLength: 32,
      writeOnly: true,
      description: "HMAC key of replica-to-replica streams, the same on every replica; unset → derived from the access-token key",
    }),
  ),
  PLUGIN_HTTP_ALLOW_PRIVATE: Type.Optional(
    Type.String({
      pattern: "^[^\\s,]+(\\s*,\\s*[^\\s,]+)*$",
      description:
        "Comma-separated hosts, addresses or CIDR ranges plugins may fetch although not public (e.g. 10.1.0.0/16,hooks.internal); unset: public addresses only",
    }),
  ),
  PLUGIN_SECRETS_KEY: Type.Optional(
    Type.String({
      pattern: "^([0-9a-fA-F]{64}|[A-Za-z0-9+/]{43}=|[A-Za-z0-9_-]{43})$",
      writeOnly: true,
      description:
        "32 bytes as 64 hex characters (openssl rand -hex 32) or base64 (openssl rand -base64 32); unset → generated once into DATA_DIR/plugin-secrets.key",
    }),
  ),
})
export type CoreConfig = Static<typeof CoreConfig>
