// The one place that makes secrets and their at-rest hashes.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto"

/** A random secret with a recognisable prefix, e.g. `ssk_…` for API keys. */
export const newSecret = (prefix: string, bytes = 32): string => `${prefix}_${randomBytes(bytes).toString("base64url")}`

/** Secrets are stored only as SHA-256: they are high-entropy, so a slow hash buys nothing. */
export const hashSecret = (secret: string): string => createHash("sha256").update(secret).digest("hex")

export const sameSecret = (a: string, b: string): boolean => {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}
