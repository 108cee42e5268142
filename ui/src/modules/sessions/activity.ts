// Sessions over the last hours, hour by hour: how many were active in each hour, how many were launched.
import { isTerminal, type Session } from "@streamspace/schemas"

export interface HourBucket {
  /** Epoch ms where the hour starts; the last bucket is the current, unfinished hour. */
  start: number
  active: number
  launched: number
}

const HOUR = 3_600_000

/** When a session stopped holding resources; a live session holds them until now. */
const endOf = (s: Session, now: number) =>
  s.stoppedAt ? Date.parse(s.stoppedAt) : isTerminal(s.state) ? Date.parse(s.updatedAt) : now

export function sessionsPerHour(sessions: readonly Session[], now: number, hours = 24): HourBucket[] {
  const firstStart = Math.floor(now / HOUR) * HOUR - (hours - 1) * HOUR
  const buckets: HourBucket[] = Array.from({ length: hours }, (_, i) => ({
    start: firstStart + i * HOUR,
    active: 0,
    launched: 0,
  }))
  for (const s of sessions) {
    const begin = Date.parse(s.createdAt)
    const end = Math.max(begin, endOf(s, now))
    for (const b of buckets) {
      const bEnd = b.start + HOUR
      // Half-open hours: a session that ended exactly on the hour does not count in the next one.
      if (begin < bEnd && (end > b.start || (end === begin && begin >= b.start))) b.active++
      if (begin >= b.start && begin < bEnd) b.launched++
    }
  }
  return buckets
}

/** The oldest moment a session must reach into to appear in the chart. */
export const windowStart = (now: number, hours = 24) => Math.floor(now / HOUR) * HOUR - (hours - 1) * HOUR
