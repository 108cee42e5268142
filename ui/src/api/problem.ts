// Turns whatever the API answers on failure (problem+json, plain text, or no answer) into one readable error.
import type { FieldError, Problem } from "@streamspace/schemas"

/** status 0 means the control plane could not be reached at all. */
export class ApiError extends Error {
  readonly status: number
  readonly code: string
  readonly requestId: string | undefined
  /** From a Retry-After header (lockouts, rate limits): how long until trying again makes sense. */
  retryAfterSeconds: number | undefined
  /** Field messages keyed by the field's path without its leading slash: "username", "templates/0/name". */
  readonly fields: Readonly<Record<string, string>>

  constructor(status: number, code: string, detail: string, errors: FieldError[] = [], requestId?: string) {
    super(detail)
    this.name = "ApiError"
    this.status = status
    this.code = code
    this.requestId = requestId
    const fields: Record<string, string> = {}
    for (const e of errors) {
      const key = fieldKey(e.field)
      fields[key] = fields[key] ? `${fields[key]}; ${e.message}` : e.message
    }
    this.fields = fields
  }

  /** The message for one field, or for something inside it ("env" also finds "env/BAD KEY"). */
  field(name: string): string | undefined {
    if (this.fields[name]) return this.fields[name]
    const nested = Object.keys(this.fields).find((k) => k.startsWith(`${name}/`))
    return nested ? `${nested.slice(name.length + 1)}: ${this.fields[nested]}` : undefined
  }
}

/** "/username" → "username", "query:/limit" → "query:limit", "/" → "". */
export const fieldKey = (field: string) => field.replace(/^(\w+:)?\//, "$1")

const FALLBACK: Record<number, string> = {
  400: "The request was not understood by the control plane.",
  401: "Your sign-in is no longer valid. Sign in again.",
  403: "You are not allowed to do that.",
  404: "That was not found. It may have been removed.",
  409: "That conflicts with the current state. Reload and try again.",
  413: "That is too large for the control plane to accept.",
  422: "Some values are not valid.",
  429: "Too many requests. Wait a moment and try again.",
}

const isProblem = (value: unknown): value is Problem =>
  typeof value === "object" && value !== null && typeof (value as Problem).detail === "string"

export function apiErrorOf(status: number, value: unknown): ApiError {
  if (isProblem(value)) return new ApiError(status, value.code ?? "ERROR", value.detail, value.errors ?? [], value.requestId)
  const text = typeof value === "string" ? value.trim() : ""
  // A short plain-text answer is a message meant for people; an HTML error page from a proxy is not.
  const readable = text && text.length < 300 && !text.startsWith("<") ? text : ""
  const fallback =
    FALLBACK[status] ??
    (status >= 500
      ? `The control plane could not complete the request (HTTP ${status}). Try again in a moment.`
      : `The request failed (HTTP ${status}).`)
  return new ApiError(status, `HTTP_${status}`, readable || fallback)
}

export const networkError = () =>
  new ApiError(0, "NETWORK", "Cannot reach the control plane. Check your connection, then try again.")

/** Any thrown value as an ApiError, so pages have one kind of error to show. */
export const asApiError = (e: unknown): ApiError =>
  e instanceof ApiError ? e : new ApiError(0, "CLIENT", e instanceof Error ? e.message : String(e))
