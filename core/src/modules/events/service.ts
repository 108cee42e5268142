// Dead letters for admins: list them, put one or all back in the queue.
import type { DeadLetter, DeadLetterQuery } from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { NotFound } from "../../http/errors.ts"
import * as repo from "./repo.ts"

export async function listDeadLetters(deps: CoreDeps, q: DeadLetterQuery): Promise<{ items: DeadLetter[]; total: number }> {
  const { items, total } = await repo.listDead(deps.sql, {
    installId: q.installId,
    limit: q.limit ?? 100,
    offset: q.offset ?? 0,
  })
  return {
    total,
    items: items.map((row) => ({
      eventId: row.id,
      installId: row.installId,
      pluginId: row.pluginId,
      event: repo.toEvent(row),
      attempts: row.attempts,
      lastError: row.lastError,
      deadAt: row.deadAt,
    })),
  }
}

/** Replayed deliveries start again with fresh attempts; the dispatcher is woken at once. */
export async function replayDeadLetter(deps: CoreDeps, eventId: string, installId: string): Promise<void> {
  if ((await repo.replayDead(deps.sql, { eventId, installId })) === 0) throw new NotFound("That dead letter")
  deps.events?.wake()
}

export async function replayDeadLetters(deps: CoreDeps, installId?: string): Promise<number> {
  const replayed = await repo.replayDead(deps.sql, { installId })
  if (replayed > 0) deps.events?.wake()
  return replayed
}
