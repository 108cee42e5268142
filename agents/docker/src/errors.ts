// The Docker driver's errors: a stable code the agent runtime forwards in command.error, never a crash.

export type DriverErrorCode =
  | "INVALID_OPTIONS"
  | "INVALID_SPEC"
  | "INVALID_SESSION_ID"
  | "IMAGE_NOT_FOUND"
  | "DOCKER_UNAVAILABLE"
  | "DOCKER_ERROR"
  | "NETWORK_MISCONFIGURED"
  | "SESSION_NOT_FOUND"
  | "SESSION_EXITED"
  | "VNC_TIMEOUT"

export class DriverError extends Error {
  override readonly name = "DriverError"
  constructor(
    readonly code: DriverErrorCode,
    message: string,
    /** Whether the same command may succeed if sent again later. */
    readonly retryable = false,
    options?: { cause?: unknown },
  ) {
    super(message, options)
  }
}

/** What docker-modem attaches to a failed request: an HTTP status and the daemon's message, or a socket errno. */
interface DockerFailure {
  statusCode?: number
  json?: { message?: string } | null
  reason?: string
  code?: string
  message?: string
}

const asFailure = (err: unknown): DockerFailure => (typeof err === "object" && err !== null ? (err as DockerFailure) : {})

export const dockerStatus = (err: unknown): number | undefined => asFailure(err).statusCode

/** The daemon's own words when it gave some, else the error's message. */
export function dockerMessage(err: unknown): string {
  const f = asFailure(err)
  return f.json?.message ?? f.message ?? String(err)
}

/** Maps any failure of a Docker call to a DriverError that says what we were doing. */
export function fromDocker(err: unknown, doing: string): DriverError {
  if (err instanceof DriverError) return err
  const f = asFailure(err)
  if (f.code === "ENOENT" || f.code === "ECONNREFUSED" || f.code === "EACCES" || f.code === "ECONNRESET") {
    return new DriverError(
      "DOCKER_UNAVAILABLE",
      `The Docker engine did not answer while ${doing} (${f.code}). Check that dockerd runs and its socket is reachable.`,
      true,
      { cause: err },
    )
  }
  const status = f.statusCode ? ` (HTTP ${f.statusCode})` : ""
  const retryable = f.statusCode === undefined || f.statusCode >= 500
  return new DriverError("DOCKER_ERROR", `Docker refused ${doing}${status}: ${dockerMessage(err)}`, retryable, { cause: err })
}
