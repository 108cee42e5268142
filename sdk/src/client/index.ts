// A typed client for the StreamSpace API, built on Eden treaty from the control plane's own route types.
import { treaty } from "@elysiajs/eden"
import type { CoreApp } from "@streamspace/core"

export interface ClientOptions {
  /** Access token (JWT) or API key (ssk_…). */
  token?: string
  headers?: Record<string, string>
}

/**
 * `target` is the server's base URL, or an app instance: then calls go straight to `app.handle`
 * with no network, which is how the tests drive the real control plane.
 */
export function createClient(target: string | CoreApp, options: ClientOptions = {}) {
  const headers = { ...options.headers, ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) }
  // Timestamps stay ISO strings, as the API shapes declare them (Eden would turn them into Dates).
  const config = { headers, parseDate: false }
  const client = typeof target === "string" ? treaty<CoreApp>(target, config) : treaty<CoreApp>(target, config)
  return client.api.v1
}
export type StreamSpaceClient = ReturnType<typeof createClient>
