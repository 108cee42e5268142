import { describe, expect, test } from "bun:test"
import { sign, signedHeaders, verify, WebhookVerificationError } from "./index.ts"

// The example vector published with the Standard Webhooks spec and its reference libraries.
const SPEC = {
  secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
  id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
}
const specHeaders = {
  "webhook-id": SPEC.id,
  "webhook-timestamp": String(SPEC.timestamp),
  "webhook-signature": SPEC.signature,
}
const atSpecTime = { now: SPEC.timestamp * 1000 }

const failure = (run: () => unknown): string => {
  try {
    run()
  } catch (error) {
    if (error instanceof WebhookVerificationError) return error.code
    throw error
  }
  throw new Error("verify() accepted the message")
}

describe("Standard Webhooks signatures", () => {
  test("sign() reproduces the spec's published example signature", () => {
    expect(sign(SPEC.secret, SPEC.id, SPEC.timestamp, SPEC.body)).toBe(SPEC.signature)
    expect(sign(SPEC.secret, SPEC.id, new Date(SPEC.timestamp * 1000), new TextEncoder().encode(SPEC.body))).toBe(SPEC.signature)
  })

  test("verify() accepts the spec's example at its own time, with or without the whsec_ prefix", () => {
    expect(verify(SPEC.secret, SPEC.body, specHeaders, atSpecTime)).toEqual({ id: SPEC.id, timestamp: SPEC.timestamp })
    expect(verify(SPEC.secret.slice("whsec_".length), SPEC.body, new Headers(specHeaders), atSpecTime).id).toBe(SPEC.id)
  })

  test("a tampered body fails", () => {
    expect(failure(() => verify(SPEC.secret, '{"test": 2432232315}', specHeaders, atSpecTime))).toBe("WEBHOOK_SIGNATURE_MISMATCH")
  })

  test("a tampered id or timestamp fails: both are signed", () => {
    expect(failure(() => verify(SPEC.secret, SPEC.body, { ...specHeaders, "webhook-id": "msg_other" }, atSpecTime))).toBe(
      "WEBHOOK_SIGNATURE_MISMATCH",
    )
    const shifted = { ...specHeaders, "webhook-timestamp": String(SPEC.timestamp + 1) }
    expect(failure(() => verify(SPEC.secret, SPEC.body, shifted, atSpecTime))).toBe("WEBHOOK_SIGNATURE_MISMATCH")
  })

  test("the wrong secret fails", () => {
    const other = `whsec_${Buffer.from("another secret of enough length!").toString("base64")}`
    expect(failure(() => verify(other, SPEC.body, specHeaders, atSpecTime))).toBe("WEBHOOK_SIGNATURE_MISMATCH")
  })

  test("a stale or future timestamp fails outside the tolerance and passes inside it", () => {
    const at = (seconds: number) => ({ now: (SPEC.timestamp + seconds) * 1000 })
    expect(failure(() => verify(SPEC.secret, SPEC.body, specHeaders, at(301)))).toBe("WEBHOOK_TIMESTAMP_TOO_OLD")
    expect(failure(() => verify(SPEC.secret, SPEC.body, specHeaders, at(-301)))).toBe("WEBHOOK_TIMESTAMP_TOO_NEW")
    expect(verify(SPEC.secret, SPEC.body, specHeaders, at(300)).id).toBe(SPEC.id)
    expect(verify(SPEC.secret, SPEC.body, specHeaders, at(-300)).id).toBe(SPEC.id)
    expect(failure(() => verify(SPEC.secret, SPEC.body, specHeaders, { ...at(61), toleranceSeconds: 60 }))).toBe(
      "WEBHOOK_TIMESTAMP_TOO_OLD",
    )
  })

  test("the real clock is the default: the spec's 2021 example is stale today", () => {
    expect(failure(() => verify(SPEC.secret, SPEC.body, specHeaders))).toBe("WEBHOOK_TIMESTAMP_TOO_OLD")
  })

  test("one matching signature among several is enough; other versions and garbage are ignored", () => {
    const signatures = ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", "v2,abc", "garbage", SPEC.signature].join(" ")
    expect(verify(SPEC.secret, SPEC.body, { ...specHeaders, "webhook-signature": signatures }, atSpecTime).id).toBe(SPEC.id)
    const onlyOthers = ["v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=", `v2,${SPEC.signature.slice(3)}`].join(" ")
    expect(failure(() => verify(SPEC.secret, SPEC.body, { ...specHeaders, "webhook-signature": onlyOthers }, atSpecTime))).toBe(
      "WEBHOOK_SIGNATURE_MISMATCH",
    )
  })

  test("a truncated signature fails", () => {
    for (const signature of [SPEC.signature.slice(0, 8), "v1,", "v1"])
      expect(failure(() => verify(SPEC.secret, SPEC.body, { ...specHeaders, "webhook-signature": signature }, atSpecTime))).toBe(
        "WEBHOOK_SIGNATURE_MISMATCH",
      )
  })

  test("missing headers, a malformed timestamp and a malformed secret are refused with their own codes", () => {
    for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"] as const) {
      const headers: Record<string, string> = { ...specHeaders }
      delete headers[name]
      expect(failure(() => verify(SPEC.secret, SPEC.body, headers, atSpecTime))).toBe("WEBHOOK_HEADER_MISSING")
    }
    for (const stamp of ["hello", "-1", "1.5", ""]) {
      const headers = { ...specHeaders, "webhook-timestamp": stamp }
      expect(failure(() => verify(SPEC.secret, SPEC.body, headers, atSpecTime))).toMatch(
        /WEBHOOK_(TIMESTAMP_INVALID|HEADER_MISSING)/,
      )
    }
    expect(failure(() => verify("whsec_", SPEC.body, specHeaders, atSpecTime))).toBe("WEBHOOK_SECRET_INVALID")
    expect(failure(() => verify("whsec_not base64!", SPEC.body, specHeaders, atSpecTime))).toBe("WEBHOOK_SECRET_INVALID")
  })

  test("signedHeaders() produces headers that verify() accepts now, and header names are case-insensitive", () => {
    const body = JSON.stringify({ type: "session.started", data: { id: "x" } })
    const headers = signedHeaders(SPEC.secret, { id: "evt_1", body })
    const shouted = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toUpperCase(), v]))
    expect(verify(SPEC.secret, body, shouted).id).toBe("evt_1")
  })
})
