// Heartbeats reach the database in batches: the latest of each agent, once per flush, in one statement.
import type { Sql } from "../../infra/db/connect.ts"
import type { Logger } from "../../infra/log.ts"
import { type HeartbeatRow, recordHeartbeats } from "./repo.ts"

export function createHeartbeatBatch(sql: Sql, log: Logger, flushEveryMs: number) {
  let pending = new Map<string, HeartbeatRow>()
  let flushing: Promise<void> = Promise.resolve()

  async function flush(): Promise<void> {
    if (pending.size === 0) return
    const rows = [...pending.values()]
    pending = new Map()
    await recordHeartbeats(sql, rows).catch((err) => log.error({ err, agents: rows.length }, "could not record heartbeats"))
  }
  const timer = setInterval(() => {
    flushing = flushing.then(flush)
  }, flushEveryMs)

  return {
    /** Kept until the next flush; a newer heartbeat of the same agent replaces it. */
    add(row: HeartbeatRow): void {
      pending.set(row.id, row)
    },
    async stop(): Promise<void> {
      clearInterval(timer)
      flushing = flushing.then(flush)
      await flushing
    },
  }
}
