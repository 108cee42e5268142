// Renders any thrown error as RFC 9457 problem+json; unknown errors become a bare 500.
import type { FieldError, Problem } from "@streamspace/schemas"
import { AppError, MalformedRequest, NotFound, ValidationFailed } from "./errors.ts"

export const PROBLEM_CONTENT_TYPE = "application/problem+json"

const problemTypes = new Map<string, string>()
/** The problem type URI of an error code (codes are few and fixed: each is built once). */
function problemType(code: string): string {
  let uri = problemTypes.get(code)
  if (!uri) {
    uri = `https://streamspace.dev/problems/${code.toLowerCase().replaceAll("_", "-")}`
    problemTypes.set(code, uri)
  }
  return uri
}

export function problemOf(error: AppError, requestId?: string): Problem {
  const body: Problem = {
    type: problemType(error.code),
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
  }
  if (requestId) body.requestId = requestId
  if (error.errors) body.errors = error.errors
  return body
}

export const problemResponse = (error: AppError, requestId?: string): Response =>
  new Response(JSON.stringify(problemOf(error, requestId)), {
    status: error.status,
    headers: { ...error.headers, "content-type": PROBLEM_CONTENT_TYPE, ...(requestId ? { "x-request-id": requestId } : {}) },
  })

interface TypeBoxIssue {
  path: string
  message: string
  schema?: { description?: string }
}

/** At most this many field errors per answer (as many as Elysia lists). */
const MAX_FIELD_ERRORS = 64

interface ElysiaValidationError {
  all?: readonly unknown[]
  /** The compiled TypeBox check and the value it refused. */
  validator?: { Errors?(value: unknown): Iterable<TypeBoxIssue> }
  value?: unknown
}

/** TypeBox's issues, read from the check itself: Elysia's `all` also formats a summary of each that we never show. */
function issuesOf(error: ElysiaValidationError): Iterable<TypeBoxIssue> {
  if (typeof error.validator?.Errors === "function") return error.validator.Errors(error.value)
  return (error.all ?? []) as TypeBoxIssue[]
}

/** Elysia's validation error lists TypeBox issues; we name each field as a JSON pointer. */
export function fieldErrorsOf(error: ElysiaValidationError, where: string): FieldError[] {
  const seen = new Set<string>()
  const out: FieldError[] = []
  for (const issue of issuesOf(error)) {
    if (out.length >= MAX_FIELD_ERRORS) break
    const field = `${where === "body" ? "" : `${where}:`}${issue.path || "/"}`
    if (seen.has(field)) continue
    seen.add(field)
    out.push({ field, message: issue.message })
  }
  return out.length ? out : [{ field: where, message: "is not valid" }]
}

/** PostgreSQL refuses U+0000 in text (22021) and in JSON text (22P05); TypeBox strings allow it. */
const NUL_REFUSED = new Set(["22021", "22P05"])

/** The JSON pointer of the first string holding U+0000, or null. */
export function nulField(value: unknown, path = ""): string | null {
  if (typeof value === "string") return value.includes("\u0000") ? path || "/" : null
  if (value === null || typeof value !== "object") return null
  for (const [key, item] of Object.entries(value)) {
    const found = nulField(item, `${path}/${key}`)
    if (found) return found
  }
  return null
}

/** Maps Elysia's built-in error codes, and input the database refuses, to our catalogue. */
export function toAppError(
  code: string | number,
  error: unknown,
  where = "body",
  input: { body?: unknown; query?: unknown } = {},
): AppError | null {
  if (error instanceof AppError) return error
  if (NUL_REFUSED.has(String((error as { code?: unknown } | null)?.code))) {
    const inQuery = nulField(input.query)
    const field = nulField(input.body) ?? (inQuery ? `query:${inQuery}` : "/")
    return new ValidationFailed([{ field, message: "must not contain the NUL character (U+0000)" }])
  }
  switch (code) {
    case "VALIDATION":
      return new ValidationFailed(fieldErrorsOf(error as ElysiaValidationError, where))
    case "PARSE":
      return new MalformedRequest("The request body could not be parsed. Send valid JSON with content-type application/json.")
    case "NOT_FOUND":
      return new NotFound("The requested route")
    case "INVALID_COOKIE_SIGNATURE":
    case "INVALID_FILE_TYPE":
      return new MalformedRequest((error as Error).message)
    default:
      return null
  }
}
