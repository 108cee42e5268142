// A form derived from a JSON Schema object (a plugin's configSchema or an action's input): one input per
// top-level property, chosen by its type; structured properties get a JSON editor. The checks here are for
// quick feedback only: ajv in the control plane has the last word, and its field errors land on the same keys.
export type FieldKind = "string" | "number" | "integer" | "boolean" | "enum" | "list" | "json"

export interface SchemaField {
  key: string
  kind: FieldKind
  label: string
  description: string
  required: boolean
  /** undefined: the schema names no default. */
  default: unknown
  /** enum: the choices; list: the choices for its items (empty: any text). */
  options: unknown[]
  format?: string
  pattern?: string
  /** list: the pattern each item must match. */
  itemPattern?: string
  minimum?: number
  maximum?: number
  exclusiveMinimum?: number
  exclusiveMaximum?: number
  minLength?: number
  maxLength?: number
  maxItems?: number
}

type Schema = Record<string, unknown>

const str = (v: unknown) => (typeof v === "string" ? v : undefined)
const num = (v: unknown) => (typeof v === "number" ? v : undefined)

/** Follows a local "#/…" reference; the referring schema's own keywords (description, default) win. */
function resolve(root: Schema, s: Schema, depth = 0): Schema {
  const ref = str(s.$ref)
  if (!ref?.startsWith("#/") || depth > 8) return s
  let target: unknown = root
  for (const part of ref.slice(2).split("/")) {
    const key = part.replace(/~1/g, "/").replace(/~0/g, "~")
    target = typeof target === "object" && target !== null ? (target as Schema)[key] : undefined
  }
  if (typeof target !== "object" || target === null) return s
  const { $ref: _ref, ...own } = s
  return { ...resolve(root, target as Schema, depth + 1), ...own }
}

const SCALARS = new Set(["string", "number", "integer", "boolean"])

function kindOf(s: Schema, items: Schema | undefined): FieldKind {
  if (Array.isArray(s.enum)) return "enum"
  const type = s.type
  if (typeof type === "string" && SCALARS.has(type)) return type as FieldKind
  if (type === "array" && items && (items.type === "string" || Array.isArray(items.enum))) return "list"
  // Objects, nullable types (["number", "null"]) and the rest: written as JSON, so null stays expressible.
  return "json"
}

const ACRONYMS = new Set(["id", "url", "uri", "api", "ip", "http"])

/** "maxSessions" → "Max sessions", "endpointId" → "Endpoint ID". */
export const labelOf = (key: string) =>
  key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[\s_]+/)
    .map((word, i) => {
      const lower = word.toLowerCase()
      if (ACRONYMS.has(lower)) return lower.toUpperCase()
      return i === 0 ? lower.charAt(0).toUpperCase() + lower.slice(1) : lower
    })
    .join(" ")

export function fieldsOf(schema: Schema): SchemaField[] {
  const properties = (schema.properties ?? {}) as Record<string, Schema>
  const required = new Set(Array.isArray(schema.required) ? schema.required : [])
  return Object.entries(properties).map(([key, raw]) => {
    const s = resolve(schema, raw)
    const items = typeof s.items === "object" && s.items !== null ? resolve(schema, s.items as Schema) : undefined
    const kind = kindOf(s, items)
    return {
      key,
      kind,
      label: str(s.title) ?? labelOf(key),
      description: str(s.description) ?? "",
      required: required.has(key),
      default: s.default,
      options: kind === "enum" ? (s.enum as unknown[]) : kind === "list" && Array.isArray(items?.enum) ? items.enum : [],
      format: str(s.format),
      pattern: str(s.pattern),
      itemPattern: kind === "list" ? str(items?.pattern) : undefined,
      minimum: num(s.minimum),
      maximum: num(s.maximum),
      exclusiveMinimum: num(s.exclusiveMinimum),
      exclusiveMaximum: num(s.exclusiveMaximum),
      minLength: num(s.minLength),
      maxLength: num(s.maxLength),
      maxItems: num(s.maxItems),
    }
  })
}

/** A boolean with no default that may be left out gets a Yes/No choice that can stay empty, not a switch. */
export const isSwitch = (f: SchemaField) => f.kind === "boolean" && (f.required || f.default !== undefined)

/**
 * What each field's input starts with: the value's own, else (withDefaults) the schema's default.
 * JSON fields hold pretty text, lists an array, the others the value as it is.
 */
export function toFormValues(
  fields: SchemaField[],
  value: Record<string, unknown>,
  withDefaults = false,
): Record<string, unknown> {
  return Object.fromEntries(
    fields.map((f) => {
      const v = value[f.key] !== undefined ? value[f.key] : withDefaults ? f.default : undefined
      if (f.kind === "json") return [f.key, v === undefined ? "" : JSON.stringify(v, null, 2)]
      if (f.kind === "list") return [f.key, Array.isArray(v) ? [...v] : []]
      if (isSwitch(f)) return [f.key, v === undefined ? false : v]
      return [f.key, v]
    }),
  )
}

/** What a form component built from these fields offers its dialog (SchemaForm.vue exposes it). */
export interface SchemaFormApi {
  /** The form's value, or null after marking the fields that need fixing. */
  read(): Record<string, unknown> | null
}

export type FormResult = { value: Record<string, unknown>; errors: null } | { value: null; errors: Record<string, string> }

const isEmpty = (v: unknown) => v === undefined || v === null || v === "" || (Array.isArray(v) && v.length === 0)

function matches(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, "u").test(text)
  } catch {
    return true // a pattern JavaScript cannot read is left to the control plane
  }
}

function checkNumber(f: SchemaField, raw: unknown): number | string {
  const n = typeof raw === "number" ? raw : Number(String(raw).trim())
  if (!Number.isFinite(n)) return "Enter a number."
  if (f.kind === "integer" && !Number.isInteger(n)) return "Enter a whole number."
  if (f.minimum !== undefined && n < f.minimum) return `At least ${f.minimum}.`
  if (f.maximum !== undefined && n > f.maximum) return `At most ${f.maximum}.`
  if (f.exclusiveMinimum !== undefined && n <= f.exclusiveMinimum) return `More than ${f.exclusiveMinimum}.`
  if (f.exclusiveMaximum !== undefined && n >= f.exclusiveMaximum) return `Less than ${f.exclusiveMaximum}.`
  return n
}

function checkString(f: SchemaField, v: string): string | undefined {
  if (f.minLength !== undefined && v.length < f.minLength) return `At least ${f.minLength} characters.`
  if (f.maxLength !== undefined && v.length > f.maxLength) return `At most ${f.maxLength} characters.`
  if (f.format === "uri" && !URL.canParse(v)) return "Enter a full URL, e.g. https://example.com/path."
  if (f.format === "email" && !/^[^\s@]+@[^\s@]+$/.test(v)) return "Enter an email address."
  if (f.pattern && !matches(f.pattern, v)) return `Not in the expected form (${f.pattern}).`
  return undefined
}

function checkList(f: SchemaField, v: string[]): string | undefined {
  if (f.maxItems !== undefined && v.length > f.maxItems) return `At most ${f.maxItems} entries.`
  const pattern = f.itemPattern
  const bad = pattern ? v.find((item) => !matches(pattern, item)) : undefined
  return bad === undefined ? undefined : `“${bad}” is not in the expected form (${pattern}).`
}

/** Back to a JSON object. Empty inputs are left out so the schema's defaults apply; a required one is named. */
export function fromFormValues(fields: SchemaField[], values: Record<string, unknown>): FormResult {
  const value: Record<string, unknown> = {}
  const errors: Record<string, string> = {}
  for (const f of fields) {
    const v = values[f.key]
    if (isEmpty(v)) {
      if (f.required) errors[f.key] = "Required."
      continue
    }
    if (f.kind === "json") {
      try {
        value[f.key] = JSON.parse(String(v))
      } catch (e) {
        errors[f.key] = `Not valid JSON: ${(e as Error).message}`
      }
    } else if (f.kind === "number" || f.kind === "integer") {
      const checked = checkNumber(f, v)
      if (typeof checked === "string") errors[f.key] = checked
      else value[f.key] = checked
    } else {
      const problem =
        f.kind === "string" ? checkString(f, String(v)) : f.kind === "list" ? checkList(f, v as string[]) : undefined
      if (problem) errors[f.key] = problem
      else value[f.key] = v
    }
  }
  return Object.keys(errors).length ? { value: null, errors } : { value, errors: null }
}
