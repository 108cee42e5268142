// Whether an API key still works, as a word and a colour.
import type { ApiKey } from "@streamspace/schemas"

export type KeyStatus = { label: "Active" | "Revoked" | "Expired"; color: string }

export function keyStatus(key: ApiKey, now = Date.now()): KeyStatus {
  if (key.revokedAt) return { label: "Revoked", color: "grey" }
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return { label: "Expired", color: "warning" }
  return { label: "Active", color: "success" }
}
