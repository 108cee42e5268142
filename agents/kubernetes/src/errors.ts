// The Kubernetes driver's errors: a stable code the agent runtime forwards in command.error, never a crash.

export type DriverErrorCode =
  | "INVALID_OPTIONS"
  | "INVALID_SPEC"
  | "INVALID_SESSION_ID"
  | "NOT_LEADER"
  | "KUBE_UNAVAILABLE"
  | "KUBE_FORBIDDEN"
  | "KUBE_UNAUTHORIZED"
  | "KUBE_INVALID"
  | "KUBE_CONFLICT"
  | "KUBE_THROTTLED"
  | "KUBE_ERROR"
  | "SESSION_NOT_FOUND"
  | "SESSION_FAILED"
  | "READY_TIMEOUT"

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

/** What client-node's ApiException carries (HTTP code + the apiserver's Status body), or a socket error. */
interface KubeFailure {
  code?: number | string
  statusCode?: number
  body?: unknown
  message?: string
}

const asFailure = (err: unknown): KubeFailure => (typeof err === "object" && err !== null ? (err as KubeFailure) : {})

/** The HTTP status of a failed API call, if the server answered at all. */
export function kubeStatus(err: unknown): number | undefined {
  const f = asFailure(err)
  if (typeof f.code === "number") return f.code
  return typeof f.statusCode === "number" ? f.statusCode : undefined
}

/** The apiserver's own words (its Status `message`) when it gave some, else the error's first line. */
export function kubeMessage(err: unknown): string {
  const f = asFailure(err)
  let body = f.body
  if (typeof f.body === "string") {
    const text = f.body
    try {
      body = JSON.parse(text)
    } catch {
      // not JSON: the text itself is the best message there is
      if (text.length > 0) return text.slice(0, 500)
    }
  }
  if (typeof body === "object" && body !== null && typeof (body as { message?: unknown }).message === "string")
    return (body as { message: string }).message
  return (f.message ?? String(err)).split("\n")[0] ?? String(err)
}

/** Maps any failure of a Kubernetes call to a DriverError that says what we were doing and whether to retry. */
export function fromKube(err: unknown, doing: string): DriverError {
  if (err instanceof DriverError) return err
  const status = kubeStatus(err)
  const said = kubeMessage(err)
  if (status === undefined)
    return new DriverError("KUBE_UNAVAILABLE", `The Kubernetes API did not answer while ${doing}: ${said}.`, true, { cause: err })
  if (status === 401)
    return new DriverError(
      "KUBE_UNAUTHORIZED",
      `The Kubernetes API did not accept the agent's credentials while ${doing}: ${said}.`,
      false,
      {
        cause: err,
      },
    )
  if (status === 403)
    return new DriverError(
      "KUBE_FORBIDDEN",
      `The agent's role does not allow ${doing}: ${said}. Apply deploy/kubernetes/rbac.yaml to the agent's service account.`,
      false,
      { cause: err },
    )
  if (status === 404) return new DriverError("SESSION_NOT_FOUND", `Not found while ${doing}: ${said}.`, false, { cause: err })
  if (status === 409) return new DriverError("KUBE_CONFLICT", `Conflict while ${doing}: ${said}.`, true, { cause: err })
  if (status === 422 || status === 400)
    return new DriverError("KUBE_INVALID", `The Kubernetes API refused ${doing} (HTTP ${status}): ${said}.`, false, {
      cause: err,
    })
  if (status === 429)
    return new DriverError("KUBE_THROTTLED", `The Kubernetes API is throttling the agent while ${doing}: ${said}.`, true, {
      cause: err,
    })
  return new DriverError("KUBE_ERROR", `The Kubernetes API failed ${doing} (HTTP ${status}): ${said}.`, status >= 500, {
    cause: err,
  })
}
