// Turns the environment into a validated CoreConfig, or one clear line saying which variable is wrong.
import { CoreConfig } from "@streamspace/schemas"
import { Value } from "@sinclair/typebox/value"

export class ConfigError extends Error {}

const INTEGER_KEYS = new Set(
  Object.entries(CoreConfig.properties)
    .filter(([, schema]) => (schema as { type?: string }).type === "integer")
    .map(([key]) => key),
)
/** Their values never reach the log: a key, or a URL that may hold a password. */
const SECRET_KEYS = new Set(["JWT_SECRET", "DATABASE_URL"])

export function loadConfig(env: Record<string, string | undefined>): CoreConfig {
  const raw: Record<string, unknown> = {}
  for (const key of Object.keys(CoreConfig.properties)) {
    const value = env[key]
    if (value === undefined || value === "") continue
    raw[key] = INTEGER_KEYS.has(key) && /^-?\d+$/.test(value) ? Number(value) : value
  }
  const withDefaults = Value.Default(CoreConfig, raw)
  const issue = Value.Errors(CoreConfig, withDefaults).First()
  if (issue) {
    const key = issue.path.replace(/^\//, "") || "configuration"
    const shown = !(key in raw) ? "" : SECRET_KEYS.has(key) ? " (value not shown)" : ` (got ${JSON.stringify(env[key])})`
    const hint = issue.schema.description ? ` — ${issue.schema.description}` : ""
    throw new ConfigError(`Invalid configuration: ${key} ${issue.message.toLowerCase()}${shown}${hint}`)
  }
  return withDefaults as CoreConfig
}
