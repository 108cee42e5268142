// When the viewer tries again after its desktop stream ended, and when it gives up and says why.
import type { ApiError } from "@/api/problem.ts"

/** Close codes the relay uses (core/src/modules/vnc/viewer-relay.ts RelayClose). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  textFrame: 1003,
  abnormal: 1006,
  malformed: 1008,
  failed: 1011,
  tryAgain: 1013,
  shareRevoked: 4001,
  shareExpired: 4002,
} as const

export type Verdict = { retry: true; delayMs: number } | { retry: false; message: string }

/** After this many failed attempts in a row the viewer stops and offers a button instead. */
export const MAX_ATTEMPTS = 8
const BASE_MS = 500
const CAP_MS = 15_000

/** Exponential backoff with jitter (50–100 % of the step), so many viewers of one agent spread out. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempt - 1))
  return Math.round(step / 2 + (random() * step) / 2)
}

const giveUp = (message: string): Verdict => ({ retry: false, message })

/** The desktop WebSocket closed: retry unless the relay said that trying again cannot help. */
export function afterClose(close: { code: number; reason: string }, attempt: number, random?: () => number): Verdict {
  const why = close.reason ? ` ${close.reason}` : ""
  switch (close.code) {
    case CLOSE.shareRevoked:
    case CLOSE.shareExpired:
      return giveUp(close.reason || "Your share of this session ended.")
    case CLOSE.textFrame:
    case CLOSE.malformed:
      return giveUp(`The control plane refused this viewer's stream.${why}`)
  }
  if (attempt >= MAX_ATTEMPTS) return giveUp(`The desktop stayed unreachable after ${attempt} attempts.${why}`)
  return { retry: true, delayMs: backoff(attempt, random) }
}

/** Getting a ticket failed: a missing session, an ended one or a lost sign-in will not come back by waiting. */
export function afterTicketError(error: ApiError, attempt: number, random?: () => number): Verdict {
  if (error.status === 404) return giveUp("This session does not exist any more, or it is no longer shared with you.")
  if (error.status === 409 || error.status === 401 || error.status === 403) return giveUp(error.message)
  if (error.status >= 400 && error.status < 500 && error.status !== 429) return giveUp(error.message)
  if (attempt >= MAX_ATTEMPTS) return giveUp(`The control plane stayed unreachable after ${attempt} attempts. ${error.message}`)
  return { retry: true, delayMs: backoff(attempt, random) }
}
