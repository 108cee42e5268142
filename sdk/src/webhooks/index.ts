// @streamspace/sdk/webhooks: sign and verify webhooks per the Standard Webhooks spec (v1, HMAC-SHA256).
import { createHmac, timingSafeEqual } from "node:crypto"

/** Five minutes either way, the spec's recommended window against replays. */
export const DEFAULT_TOLERANCE_SECONDS = 300

const SECRET_PREFIX = "whsec_"

export type WebhookVerificationCode =
  | "WEBHOOK_SECRET_INVALID"
  | "WEBHOOK_HEADER_MISSING"
  | "WEBHOOK_TIMESTAMP_INVALID"
  | "WEBHOOK_TIMESTAMP_TOO_OLD"
  | "WEBHOOK_TIMESTAMP_TOO_NEW"
  | "WEBHOOK_SIGNATURE_MISMATCH"

/** Why a webhook was not accepted; `code` is stable, the message says what to check. */
export class WebhookVerificationError extends Error {
  constructor(
    readonly code: WebhookVerificationCode,
    message: string,
  ) {
    super(message)
    this.name = "WebhookVerificationError"
  }
}

/** The key bytes of a `whsec_<base64>` secret (the prefix is optional, as in the reference libraries). */
const secretKey = (secret: string): Buffer => {
  const encoded = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret
  const key = /^[A-Za-z0-9+/]+={0,2}$/.test(encoded) ? Buffer.from(encoded, "base64") : Buffer.alloc(0)
  if (key.length === 0)
    throw new WebhookVerificationError("WEBHOOK_SECRET_INVALID", "The secret is not whsec_ followed by base64.")
  return key
}

const toSeconds = (timestamp: number | Date): number =>
  timestamp instanceof Date ? Math.floor(timestamp.getTime() / 1000) : Math.floor(timestamp)

const bodyBytes = (body: string | Uint8Array): Buffer =>
  typeof body === "string" ? Buffer.from(body, "utf8") : Buffer.from(body)

const digest = (key: Buffer, id: string, timestamp: number, body: string | Uint8Array): Buffer =>
  createHmac("sha256", key).update(`${id}.${timestamp}.`).update(bodyBytes(body)).digest()

/** The `webhook-signature` value for one message: `v1,<base64 HMAC-SHA256 of "id.timestamp.body">`. */
export const sign = (secret: string, id: string, timestamp: number | Date, body: string | Uint8Array): string =>
  `v1,${digest(secretKey(secret), id, toSeconds(timestamp), body).toString("base64")}`

export interface WebhookHeaders {
  "webhook-id": string
  "webhook-timestamp": string
  "webhook-signature": string
}

/** All three headers for a message; `timestamp` in seconds (or a Date), now by default. */
export const signedHeaders = (
  secret: string,
  message: { id: string; body: string | Uint8Array; timestamp?: number | Date },
): WebhookHeaders => {
  const timestamp = toSeconds(message.timestamp ?? new Date())
  return {
    "webhook-id": message.id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": sign(secret, message.id, timestamp, message.body),
  }
}

export type HeaderSource = Headers | Record<string, string | string[] | undefined>

const header = (headers: HeaderSource, name: string): string | undefined => {
  if (headers instanceof Headers) return headers.get(name) ?? undefined
  const key = Object.keys(headers).find((k) => k.toLowerCase() === name)
  const value = key === undefined ? undefined : headers[key]
  return Array.isArray(value) ? value.join(" ") : value
}

export interface VerifyOptions {
  /** Seconds the timestamp may differ from now, either way (default 300). */
  toleranceSeconds?: number
  /** The clock, in milliseconds (tests). */
  now?: number
}

export interface VerifiedWebhook {
  id: string
  /** Seconds since the epoch, as sent. */
  timestamp: number
}

/**
 * Checks a received webhook against the endpoint's secret. `body` must be the raw request body, byte for
 * byte (parse the JSON only after this). Throws WebhookVerificationError; returns the message id, which
 * stays the same across retries and is the key to deduplicate on.
 */
export const verify = (
  secret: string,
  body: string | Uint8Array,
  headers: HeaderSource,
  options: VerifyOptions = {},
): VerifiedWebhook => {
  const key = secretKey(secret)
  const id = header(headers, "webhook-id")
  const stamp = header(headers, "webhook-timestamp")
  const signatures = header(headers, "webhook-signature")
  for (const [name, value] of [
    ["webhook-id", id],
    ["webhook-timestamp", stamp],
    ["webhook-signature", signatures],
  ] as const) {
    if (value === undefined || value === "")
      throw new WebhookVerificationError("WEBHOOK_HEADER_MISSING", `The ${name} header is missing.`)
  }
  if (!/^\d{1,15}$/.test(stamp as string))
    throw new WebhookVerificationError("WEBHOOK_TIMESTAMP_INVALID", "webhook-timestamp is not whole seconds since the epoch.")
  const timestamp = Number(stamp)
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS
  const now = Math.floor((options.now ?? Date.now()) / 1000)
  if (timestamp < now - tolerance)
    throw new WebhookVerificationError("WEBHOOK_TIMESTAMP_TOO_OLD", `The message is older than ${tolerance} seconds.`)
  if (timestamp > now + tolerance)
    throw new WebhookVerificationError(
      "WEBHOOK_TIMESTAMP_TOO_NEW",
      `The message is more than ${tolerance} seconds in the future.`,
    )
  const expected = digest(key, id as string, timestamp, body)
  // Several space-separated signatures may be sent (e.g. during a secret rotation); one match is enough.
  // Every candidate is compared, in constant time, so the timing tells nothing about which one was close.
  let matched = false
  for (const entry of (signatures as string).split(" ")) {
    const comma = entry.indexOf(",")
    if (comma < 0 || entry.slice(0, comma) !== "v1") continue
    const candidate = Buffer.from(entry.slice(comma + 1), "base64")
    if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true
  }
  if (!matched)
    throw new WebhookVerificationError("WEBHOOK_SIGNATURE_MISMATCH", "No v1 signature matches the body with this secret.")
  return { id: id as string, timestamp }
}
