// The portal's one way to call the control plane: the typed SDK client, unwrapped into data or an ApiError.
import { createClient, type StreamSpaceClient } from "@streamspace/sdk/client"
import { ApiError, apiErrorOf, networkError } from "./problem.ts"

/** What every Eden treaty call resolves to, reduced to the parts we read. */
type Answer<T> = ({ data: T; error: null } | { data: null; error: { status: unknown; value: unknown } }) & { response?: Response }

/** The portal is served by the control plane (or proxied to it in development): same origin. */
const origin = () => window.location.origin

let client: StreamSpaceClient = createClient(origin())
let unauthorized: (() => Promise<boolean>) | null = null

/** Every call from now on carries this access token or API key (null: anonymous). */
export function setCredential(token: string | null) {
  client = createClient(origin(), token ? { token } : {})
}

/**
 * Called when a call answers 401. It returns true when it obtained a new credential (a refresh)
 * and the call should be tried once more; otherwise the 401 reaches the caller.
 */
export function onUnauthorized(handler: (() => Promise<boolean>) | null) {
  unauthorized = handler
}

export async function call<T>(run: (api: StreamSpaceClient) => Promise<Answer<T>>, retried = false): Promise<T> {
  let answer: Answer<T>
  try {
    answer = await run(client)
  } catch (e) {
    if (e instanceof ApiError) throw e
    throw networkError()
  }
  if (!answer.error) return answer.data
  const error = apiErrorOf(Number(answer.error.status) || 0, answer.error.value)
  const retryAfter = Number(answer.response?.headers.get("retry-after") ?? Number.NaN)
  if (Number.isFinite(retryAfter) && retryAfter >= 0) error.retryAfterSeconds = retryAfter
  if (error.status === 401 && !retried && unauthorized && (await unauthorized())) return call(run, true)
  throw error
}

export type { StreamSpaceClient }
