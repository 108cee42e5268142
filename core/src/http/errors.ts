// The catalogue of errors the API can return: one class each, with a code that never changes.
import type { FieldError } from "@streamspace/schemas"

export abstract class AppError extends Error {
  abstract readonly code: string
  abstract readonly status: number
  /** Short, stable title for the problem type. */
  abstract readonly title: string
  readonly errors?: FieldError[]
  /** Extra response headers, e.g. Retry-After on a 429. */
  headers?: Record<string, string>
  constructor(detail: string, errors?: FieldError[]) {
    // These are answers to a client, not faults: nobody reads their stack, and capturing one was a
    // tenth of the CPU of rejecting a request.
    const depth = Error.stackTraceLimit
    Error.stackTraceLimit = 0
    super(detail)
    Error.stackTraceLimit = depth
    if (errors) this.errors = errors
  }
}

export class ValidationFailed extends AppError {
  readonly code = "VALIDATION_FAILED"
  readonly status = 422
  readonly title = "Invalid request"
  constructor(errors: FieldError[]) {
    const first = errors[0]
    super(first ? `${first.field || "body"}: ${first.message}` : "The request is not valid.", errors)
  }
}

export class MalformedRequest extends AppError {
  readonly code = "MALFORMED_REQUEST"
  readonly status = 400
  readonly title = "Malformed request"
}

export class Unauthenticated extends AppError {
  readonly code = "UNAUTHENTICATED"
  readonly status = 401
  readonly title = "Authentication required"
  constructor(detail = "Sign in, or send a valid access token or API key in the Authorization header.") {
    super(detail)
  }
}

export class Forbidden extends AppError {
  readonly code = "FORBIDDEN"
  readonly status = 403
  readonly title = "Not allowed"
}

export class NotFound extends AppError {
  readonly code = "NOT_FOUND"
  readonly status = 404
  readonly title = "Not found"
  constructor(what: string) {
    super(`${what} was not found.`)
  }
}

export class Conflict extends AppError {
  readonly code: string
  readonly status = 409
  readonly title = "Conflict"
  constructor(detail: string, code = "CONFLICT") {
    super(detail)
    this.code = code
  }
}

export class InvalidTransition extends AppError {
  readonly code = "INVALID_STATE_TRANSITION"
  readonly status = 409
  readonly title = "Invalid state transition"
  constructor(from: string, to: string) {
    super(`A session that is ${from} cannot become ${to}.`)
  }
}

export class ServiceUnavailable extends AppError {
  readonly code = "SERVICE_UNAVAILABLE"
  readonly status = 503
  readonly title = "Service unavailable"
}
