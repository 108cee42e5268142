// One signed delivery attempt: Standard Webhooks headers, HMAC-SHA256 by the host, http.fetch with a deadline.
import { clock, crypto, http } from "host:api"
import { type Delivery, type Endpoint, getSigningSecret, nowIso, recordAttempt, type Trigger } from "./store.ts"

export interface SendOptions {
  timeoutMs: number
}

const sign = async (secret: string, content: string): Promise<string> =>
  `v1,${await crypto.hmac("sha256", { base64: secret.slice("whsec_".length) }, content, "base64")}`

/**
 * Every signature the receiver may check: the current secret's and, during a rotation's grace, the old
 * one's. The host decrypts each secret for this call only; the plugin keeps no copy.
 */
const signatures = async (endpoint: Endpoint, content: string, now: number): Promise<string> => {
  const current = await getSigningSecret(endpoint.id, "current")
  if (current === null) throw new Error("The endpoint has no signing secret; rotate its secret to make one.")
  const all = [await sign(current, content)]
  const previous = (endpoint.previousUntil ?? 0) > now ? await getSigningSecret(endpoint.id, "previous") : null
  if (previous !== null) all.push(await sign(previous, content))
  return all.join(" ")
}

const errorText = (error: unknown): string => {
  const e = error as { code?: unknown; message?: unknown }
  const message = typeof e?.message === "string" ? e.message : String(error)
  return (typeof e?.code === "string" ? `${e.code}: ${message}` : message).slice(0, 1000)
}

/** Sends the delivery once to the endpoint and records the attempt; a 2xx answer is success, anything else is not. */
export const attempt = async (endpoint: Endpoint, delivery: Delivery, trigger: Trigger, options: SendOptions) => {
  const started = await clock.now()
  const timestamp = Math.floor(started / 1000)
  delivery.url = endpoint.url
  let responseCode: number | null = null
  let error: string | undefined
  try {
    // A secret that cannot be read (deleted, or written under another key) is a failed attempt with the reason.
    const headers = {
      "content-type": "application/json",
      "user-agent": "StreamSpace-Webhooks/1.0",
      "webhook-id": delivery.messageId,
      "webhook-timestamp": String(timestamp),
      "webhook-signature": await signatures(endpoint, `${delivery.messageId}.${timestamp}.${delivery.body}`, started),
    }
    const response = await http.fetch(endpoint.url, {
      method: "POST",
      headers,
      body: delivery.body,
      timeoutMs: options.timeoutMs,
    })
    responseCode = response.status
    if (response.status < 200 || response.status > 299) error = `The endpoint answered ${response.status}.`
  } catch (caught) {
    error = errorText(caught)
  }
  const durationMs = Math.max(0, (await clock.now()) - started)
  return recordAttempt(delivery, {
    trigger,
    at: await nowIso(),
    outcome: error === undefined ? "succeeded" : "failed",
    responseCode,
    durationMs,
    ...(error === undefined ? {} : { error }),
  })
}
