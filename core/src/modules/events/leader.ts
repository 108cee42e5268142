// One dispatcher per cluster: the replica that holds a PostgreSQL advisory lock on a reserved connection.
import type { Database } from "../../infra/db/connect.ts"
import type postgres from "postgres"

/** Arbitrary but fixed: every replica asks for the same lock. */
const DISPATCHER_LOCK = 7_281_105

export interface Leadership {
  /** True while this replica may dispatch; tries to become leader when it is not. */
  check(): Promise<boolean>
  release(): Promise<void>
}

/**
 * PostgreSQL: a session-level advisory lock, held by one reserved connection. If the replica dies,
 * its connection closes and the lock is free for another replica at once (no lease to time out).
 * PGlite is one process with one connection, so it is always the only dispatcher.
 */
export function createLeadership(db: Database): Leadership {
  if (db.kind === "pglite") return { check: async () => true, release: async () => {} }
  let conn: postgres.ReservedSql | null = null
  const drop = () => {
    const c = conn
    conn = null
    c?.release()
  }
  return {
    async check() {
      try {
        if (conn) {
          await conn`select 1` // still connected, so still holding the lock
          return true
        }
        const candidate = await db.sql.reserve()
        const [row] = await candidate<{ locked: boolean }[]>`select pg_try_advisory_lock(${DISPATCHER_LOCK}) as locked`
        if (row?.locked) {
          conn = candidate
          return true
        }
        candidate.release()
        return false
      } catch {
        drop() // a broken connection lost the lock with it
        return false
      }
    },
    async release() {
      const c = conn
      if (!c) return
      await c`select pg_advisory_unlock(${DISPATCHER_LOCK})`.catch(() => {})
      drop()
    },
  }
}
