// Per-session VNC passwords derived from the agent's secret, so a restarted agent recovers them unstored.
import { createHmac } from "node:crypto"

/**
 * HMAC-SHA256(agentSecret, sessionId), cut to 8 characters: VNC authentication (DES) reads only
 * the first 8 bytes of a password, so longer would only look stronger. 8 base64url characters
 * carry 48 bits; Xvnc also blocks a client after repeated failures.
 */
export function deriveVncPassword(agentSecret: string, sessionId: string): string {
  return createHmac("sha256", agentSecret).update(sessionId).digest("base64url").slice(0, 8)
}
