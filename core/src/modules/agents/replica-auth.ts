// Replica-to-replica requests are signed: HMAC-SHA256 over who asks, when, and for which session, with a secret all replicas share.
import { createHmac, timingSafeEqual } from "node:crypto"

export const REPLICA_HEADERS = {
  replica: "x-streamspace-replica",
  timestamp: "x-streamspace-timestamp",
  signature: "x-streamspace-signature",
} as const

/** A signature older (or newer) than this is refused, so a captured one cannot be replayed later. */
const MAX_SKEW_MS = 30_000

const mac = (secret: string, replicaId: string, timestamp: string, sessionId: string) =>
  createHmac("sha256", secret).update(`${replicaId}\n${timestamp}\n${sessionId}`).digest()

/** The replica secret when none is configured: derived from the access-token key, which every replica shares. */
export const deriveReplicaSecret = (signingKey: string): string =>
  createHmac("sha256", signingKey).update("streamspace replica link v1").digest("hex")

export function signReplicaRequest(secret: string, replicaId: string, sessionId: string, now = Date.now()) {
  const timestamp = String(now)
  return {
    [REPLICA_HEADERS.replica]: replicaId,
    [REPLICA_HEADERS.timestamp]: timestamp,
    [REPLICA_HEADERS.signature]: mac(secret, replicaId, timestamp, sessionId).toString("hex"),
  }
}

/** The calling replica's id when the signature holds; null otherwise. */
export function verifyReplicaRequest(secret: string, headers: Headers, sessionId: string, now = Date.now()): string | null {
  const replicaId = headers.get(REPLICA_HEADERS.replica)
  const timestamp = headers.get(REPLICA_HEADERS.timestamp)
  const signature = headers.get(REPLICA_HEADERS.signature)
  if (!replicaId || !timestamp || !signature || !/^\d{1,16}$/.test(timestamp) || !/^[0-9a-f]{64}$/.test(signature)) return null
  if (Math.abs(now - Number(timestamp)) > MAX_SKEW_MS) return null
  const expected = mac(secret, replicaId, timestamp, sessionId)
  return timingSafeEqual(expected, Buffer.from(signature, "hex")) ? replicaId : null
}
