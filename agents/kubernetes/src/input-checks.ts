// Checks what the driver is given before the Kubernetes API sees it; each error names the offending field.
import { Value } from "@sinclair/typebox/value"
import { SessionSpec, registerFormats } from "@streamspace/schemas"
import { DriverError } from "./errors.ts"

registerFormats()

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
/** Label values and object names are built from these, so they must stay DNS-label-safe. */
export const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/
/** A C identifier, or Kubernetes refuses the container's env (and the shell could not read it either). */
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/

export function checkSpec(spec: unknown): SessionSpec {
  if (!Value.Check(SessionSpec, spec)) {
    const first = Value.Errors(SessionSpec, spec).First()
    throw invalidSpec(first?.path || "/", first?.message ?? "does not match the session spec")
  }
  const checked = spec
  if (!UUID.test(checked.sessionId)) throw invalidSpec("/sessionId", "must be a lower-case UUID")
  if (!UUID.test(checked.userId)) throw invalidSpec("/userId", "must be a lower-case UUID")
  if (!DNS_LABEL.test(checked.templateName) || checked.templateName.length > 63)
    throw invalidSpec("/templateName", "must be lower-case letters, digits and dashes (at most 63)")
  if (!/^\/[^\0]+$/.test(checked.homePath)) throw invalidSpec("/homePath", "must be an absolute path other than /")
  const badKey = Object.keys(checked.env).find((key) => !ENV_KEY.test(key))
  if (badKey !== undefined) throw invalidSpec(`/env/${badKey}`, "is not a valid environment variable name")
  return checked
}

export function checkSessionId(sessionId: unknown): string {
  if (typeof sessionId === "string" && UUID.test(sessionId)) return sessionId
  throw new DriverError("INVALID_SESSION_ID", `sessionId must be a lower-case UUID, got ${JSON.stringify(sessionId)}.`)
}

function invalidSpec(field: string, message: string): DriverError {
  return new DriverError("INVALID_SPEC", `The session spec is invalid: ${field} ${message}.`)
}
