// A plugin's config form, derived from its configSchema: a plain input for each simple top-level
// property, a JSON editor for each structured one. ajv in the control plane has the last word.
export type FieldKind = "string" | "number" | "integer" | "boolean" | "enum" | "json"

export interface ConfigField {
  key: string
  kind: FieldKind
  label: string
  description: string
  options: unknown[]
}

type Schema = Record<string, unknown>

const kindOf = (s: Schema): FieldKind => {
  if (Array.isArray(s.enum)) return "enum"
  const type = s.type
  if (type === "string" || type === "number" || type === "integer" || type === "boolean") return type
  return "json"
}

/** "maxSessions" → "Max sessions". */
const labelOf = (key: string) =>
  key
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/^./, (c) => c.toUpperCase())
    .replace(/ ([A-Z])/g, (m) => m.toLowerCase())

export function fieldsOf(configSchema: Schema): ConfigField[] {
  const properties = (configSchema.properties ?? {}) as Record<string, Schema>
  return Object.entries(properties).map(([key, s]) => ({
    key,
    kind: kindOf(s),
    label: typeof s.title === "string" ? s.title : labelOf(key),
    description: typeof s.description === "string" ? s.description : "",
    options: Array.isArray(s.enum) ? s.enum : [],
  }))
}

/** What each field's input holds: JSON fields as pretty text, the others as they are. */
export function toFormValues(fields: ConfigField[], config: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    fields.map((f) => [
      f.key,
      f.kind === "json" ? (config[f.key] === undefined ? "" : JSON.stringify(config[f.key], null, 2)) : config[f.key],
    ]),
  )
}

export type ConfigResult = { config: Record<string, unknown>; errors: null } | { config: null; errors: Record<string, string> }

/** Back to a config object; empty inputs are left out so the schema's defaults apply. */
export function fromFormValues(fields: ConfigField[], values: Record<string, unknown>): ConfigResult {
  const config: Record<string, unknown> = {}
  const errors: Record<string, string> = {}
  for (const f of fields) {
    const v = values[f.key]
    if (v === undefined || v === null || v === "") continue
    if (f.kind === "json") {
      try {
        config[f.key] = JSON.parse(String(v))
      } catch (e) {
        errors[f.key] = `Not valid JSON: ${(e as Error).message}`
      }
    } else if (f.kind === "number" || f.kind === "integer") {
      const n = Number(v)
      if (!Number.isFinite(n)) errors[f.key] = "Enter a number."
      else config[f.key] = n
    } else config[f.key] = v
  }
  return Object.keys(errors).length ? { config: null, errors } : { config, errors: null }
}
