// createHostApi: the parts of host:api that need no database (http, crypto, clock) around the core's stores.
import { createHmac } from "node:crypto"
import type { HttpRequestInit, HttpResponse } from "@streamspace/schemas"
import { type Encoding, type HostApi, HostCallError } from "./host-api.ts"

export interface HttpLimits {
  timeoutMs: number
  maxResponseBytes: number
}
export const DEFAULT_HTTP_LIMITS: HttpLimits = { timeoutMs: 5000, maxResponseBytes: 1024 * 1024 }

/** OWASP's argon2id minimum (19 MiB, 2 passes): ~4x faster than Bun's 64 MiB default, still memory-hard. */
export const DEFAULT_PASSWORD_HASHING = { memoryCost: 19456, timeCost: 2 }

const readCapped = async (response: Response, max: number, url: string): Promise<Uint8Array> => {
  const chunks: Uint8Array[] = []
  let size = 0
  if (response.body === null) return new Uint8Array()
  const reader = response.body.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    size += value.byteLength
    if (size > max) {
      await reader.cancel().catch(() => {})
      throw new HostCallError("HOST_CALL_FAILED", `The response from ${url} is larger than ${max} bytes.`)
    }
    chunks.push(value)
  }
  return Buffer.concat(chunks)
}

/** How a request leaves the host; the core's connects only to addresses its SSRF guard checked. */
export type Connector = (url: string, init: RequestInit) => Promise<Response>

/** fetch with a deadline, a size cap, and no redirects followed (a redirect could leave the allowlist). */
export const fetchWithLimits = async (
  url: string,
  init: HttpRequestInit,
  limits: HttpLimits,
  connect: Connector = fetch,
): Promise<HttpResponse> => {
  // A plugin may ask for less time than the operator allows (e.g. to stay inside its own call deadline), never more.
  const timeoutMs = Math.min(init.timeoutMs ?? limits.timeoutMs, limits.timeoutMs)
  let response: Response
  try {
    response = await connect(url, {
      method: init.method ?? "GET",
      headers: init.headers,
      body: init.body,
      redirect: "manual",
      signal: AbortSignal.timeout(timeoutMs),
    })
  } catch (error) {
    if (error instanceof HostCallError) throw error
    const timedOut = error instanceof DOMException && error.name === "TimeoutError"
    throw new HostCallError(
      "HOST_CALL_FAILED",
      timedOut ? `${url} did not answer within ${timeoutMs} ms.` : `Fetching ${url} failed: ${(error as Error).message}`,
    )
  }
  const body = await readCapped(response, limits.maxResponseBytes, url)
  const headers: Record<string, string> = {}
  response.headers.forEach((value, name) => {
    headers[name] = value
  })
  return { status: response.status, headers, body: new TextDecoder().decode(body) }
}

const encode = (bytes: Uint8Array, encoding: Encoding): string => Buffer.from(bytes).toString(encoding)

/** What only the core can provide: storage and identity. */
export type HostStores = Pick<HostApi, "log" | "kv" | "sessions" | "users" | "secrets">

export interface HostApiOptions {
  http?: Partial<HttpLimits>
  passwordHashing?: { memoryCost: number; timeCost: number }
  /** The clock plugins see; tests may pin it. */
  now?: () => number
  /** How http.fetch connects (default: the global fetch). */
  connect?: Connector
}

export const createHostApi = (stores: HostStores, options: HostApiOptions = {}): HostApi => {
  const http = { ...DEFAULT_HTTP_LIMITS, ...options.http }
  const hashing = options.passwordHashing ?? DEFAULT_PASSWORD_HASHING
  const now = options.now ?? Date.now
  return {
    log: stores.log,
    kv: stores.kv,
    sessions: stores.sessions,
    users: stores.users,
    secrets: stores.secrets,
    http: { fetch: (_ctx, url, init) => fetchWithLimits(url, init, http, options.connect) },
    crypto: {
      hashPassword: (_ctx, password) => Bun.password.hash(password, { algorithm: "argon2id", ...hashing }),
      verifyPassword: async (_ctx, password, hash) => {
        try {
          return await Bun.password.verify(password, hash)
        } catch {
          return false // not a hash we know: it cannot match
        }
      },
      hmac: (_ctx, algorithm, key, data, encoding) =>
        createHmac(algorithm, typeof key === "string" ? key : Buffer.from(key.base64, "base64"))
          .update(data)
          .digest(encoding),
      randomBytes: (_ctx, length, encoding) => encode(crypto.getRandomValues(new Uint8Array(length)), encoding),
    },
    clock: { now: () => now() },
  }
}
