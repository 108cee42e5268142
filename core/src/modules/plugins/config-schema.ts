// Validates per-install config against the manifest's configSchema (JSON Schema 2020-12, ajv) and fills defaults.
import type { FieldError } from "@streamspace/schemas"
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020.js"
import { PluginRejected } from "./errors.ts"

// strict: false — a plugin author's schema may carry annotations ajv does not know; that is not an error.
const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: true })
const compiled = new Map<string, ValidateFunction>()

/** Compiles (once per distinct schema) or refuses a manifest whose configSchema is not a JSON Schema. */
export function configValidator(configSchema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(configSchema)
  const known = compiled.get(key)
  if (known) return known
  let validate: ValidateFunction
  try {
    validate = ajv.compile(configSchema)
  } catch (error) {
    throw new PluginRejected(
      "PLUGIN_MANIFEST_INVALID",
      `The manifest's configSchema is not a valid JSON Schema: ${(error as Error).message}`,
      [{ field: "/manifest/configSchema", message: (error as Error).message }],
    )
  }
  if (compiled.size > 500) compiled.clear()
  compiled.set(key, validate)
  return validate
}

const fieldOf = (e: ErrorObject, prefix: string): string => {
  const extra =
    e.keyword === "required"
      ? `/${String(e.params.missingProperty)}`
      : e.keyword === "additionalProperties"
        ? `/${String(e.params.additionalProperty)}`
        : ""
  return `${prefix}${e.instancePath}${extra}`
}

/**
 * The value with the schema's defaults filled in, or a 422 (`code`) naming each failing field under `prefix`.
 * Serves per-install config (/config) and admin action input (the request body, prefix "").
 */
export function validateAgainst(
  schema: Record<string, unknown>,
  value: unknown,
  prefix: string,
  code: string,
): Record<string, unknown> {
  const validate = configValidator(schema)
  const copy = structuredClone(value ?? {})
  if (validate(copy)) return copy as Record<string, unknown>
  const errors: FieldError[] = (validate.errors ?? [])
    .slice(0, 20)
    .map((e) => ({ field: fieldOf(e, prefix), message: e.message ?? "is not valid" }))
  const first = errors[0] ?? { field: prefix || "/", message: "is not valid" }
  throw new PluginRejected(code, `${first.field}: ${first.message}`, errors)
}

export const validateConfig = (configSchema: Record<string, unknown>, config: unknown): Record<string, unknown> =>
  validateAgainst(configSchema, config, "/config", "PLUGIN_CONFIG_INVALID")
