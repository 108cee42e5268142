// Small byte helpers the isolate lacks (no Buffer, no TextEncoder): hex, base32 alphabet, constant-time compare.
import { clock, crypto, install } from "host:api"

export const hexToBytes = (hex: string): Uint8Array => {
  const bytes = new Uint8Array(hex.length / 2)
  for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  return bytes
}

/** Compares without stopping at the first difference, so timing does not leak how much matched. */
export const sameText = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

const ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"

/** `length` characters from a 32-letter alphabet without look-alikes (256 is a multiple of 32: no bias). */
export const randomCode = async (length: number): Promise<string> => {
  const bytes = hexToBytes(await crypto.randomBytes(length, "hex"))
  let out = ""
  for (const byte of bytes) out += ALPHABET[byte % 32]
  return out
}

/**
 * Keyed digest for looking up high-entropy secrets (invitation tokens, recovery codes) without storing them.
 * The key is the install id: stable, and no first-use race to create one.
 */
export const digest = (value: string): Promise<string> =>
  crypto.hmac("sha256", `streamspace.auth:${install.id}`, value, "base64url")

export const now = (): Promise<number> => clock.now()

export const iso = (ms: number): string => new Date(ms).toISOString()

/** Seconds until `ms`, at least 1: kv TTLs and Retry-After are whole seconds. */
export const secondsUntil = (ms: number, from: number): number => Math.max(1, Math.ceil((ms - from) / 1000))
