// A short-lived cache of session list pages, kept as the JSON the API answers with: portals poll
// their list, and a page of 50 costs a query plus ~250 timestamp parses, and serialising and checking
// it against the response schema cost three times the rest of the request. Session writes made through this process empty it at once; writes made
// by another replica, or by cascades from users, templates and agents, show within TTL_MS.
import type { Session } from "@streamspace/schemas"
import type { RootSql } from "../../infra/db/connect.ts"

export const LIST_CACHE_TTL_MS = 1000
const MAX_PAGES = 10_000

type Page = { items: Session[]; total: number }

class ListCache {
  private generation = 0
  private readonly pages = new Map<string, { generation: number; until: number; json: string }>()

  /** The page as JSON text. */
  async read(key: string, load: () => Promise<Page>): Promise<string> {
    const hit = this.pages.get(key)
    if (hit && hit.generation === this.generation && hit.until > Date.now()) return hit.json
    // A write that lands while the query runs bumps the generation: the page read before it is not kept.
    const generation = this.generation
    const json = JSON.stringify(await load())
    if (generation === this.generation) {
      if (this.pages.size >= MAX_PAGES) this.pages.clear()
      this.pages.set(key, { generation, until: Date.now() + LIST_CACHE_TTL_MS, json })
    }
    return json
  }

  forget() {
    this.generation++
    this.pages.clear()
  }
}

// One cache per database pool: test processes run several control planes side by side.
const caches = new WeakMap<RootSql, ListCache>()

export function listCacheOf(sql: RootSql): ListCache {
  let cache = caches.get(sql)
  if (!cache) {
    cache = new ListCache()
    caches.set(sql, cache)
  }
  return cache
}
