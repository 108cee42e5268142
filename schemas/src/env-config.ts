// Turns environment variables into a checked configuration, or one clear line saying which variable is wrong.
import type { Static, TObject } from "@sinclair/typebox"
import { Value } from "@sinclair/typebox/value"

export class EnvConfigError extends Error {}

/** Integers arrive as text; a field marked `writeOnly` is a secret and never echoed in an error. */
export function readEnvConfig<T extends TObject>(schema: T, env: Record<string, string | undefined>): Static<T> {
  const raw: Record<string, unknown> = {}
  for (const [key, field] of Object.entries(schema.properties)) {
    const value = env[key]
    if (value === undefined || value === "") continue
    raw[key] = (field as { type?: string }).type === "integer" && /^-?\d+$/.test(value) ? Number(value) : value
  }
  const withDefaults = Value.Default(schema, raw)
  const issue = Value.Errors(schema, withDefaults).First()
  if (issue) {
    const key = issue.path.replace(/^\//, "") || "configuration"
    const secret = (schema.properties[key] as { writeOnly?: boolean } | undefined)?.writeOnly === true
    const shown = !(key in raw) ? "" : secret ? " (value not shown)" : ` (got ${JSON.stringify(env[key])})`
    const hint = issue.schema.description ? ` — ${issue.schema.description}` : ""
    const message = issue.message.charAt(0).toLowerCase() + issue.message.slice(1)
    throw new EnvConfigError(`Invalid configuration: ${key} ${message}${shown}${hint}`)
  }
  return withDefaults as Static<T>
}
