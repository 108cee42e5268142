// Parses a catalog file (YAML or JSON) and checks it against the CatalogFile shape, naming bad fields.
import { CatalogFile, type FieldError } from "@streamspace/schemas"
import { Value } from "@sinclair/typebox/value"
import { parse as parseYaml } from "yaml"
import { MalformedRequest, ValidationFailed } from "../../http/errors.ts"

export function parseCatalog(text: string): CatalogFile {
  let doc: unknown
  try {
    doc = parseYaml(text) // YAML is a superset of JSON, so one parser reads both.
  } catch (e) {
    throw new MalformedRequest(`The catalog file is neither valid YAML nor JSON: ${(e as Error).message}`)
  }
  if (Value.Check(CatalogFile, doc)) return doc
  const errors: FieldError[] = []
  for (const issue of Value.Errors(CatalogFile, doc)) {
    errors.push({ field: issue.path || "/", message: issue.message })
    if (errors.length >= 20) break
  }
  throw new ValidationFailed(errors)
}
