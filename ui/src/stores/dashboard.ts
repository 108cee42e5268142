// The admin dashboard's numbers: every user's sessions of the last day, running and waiting counts, users.
import type { Session } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"
import { windowStart } from "@/modules/sessions/activity.ts"

const PAGE = 500
/** Enough history for a busy day; the chart says when it had to stop short. */
const MAX_PAGES = 10

export const useDashboardStore = defineStore("dashboard", () => {
  const recent = ref<Session[]>([])
  const truncated = ref(false)
  const running = ref(0)
  const pending = ref(0)
  const users = ref(0)
  const loadedAt = ref(Date.now())
  /** False until the first load: the page shows a spinner rather than zeros that are not true. */
  const loaded = ref(false)

  /**
   * Sessions come newest first. Paging stops at the first one launched before the window; the
   * running ones are fetched too, since a long-running session was launched before it.
   */
  async function loadSessions(now: number) {
    const since = windowStart(now)
    const found = new Map<string, Session>()
    let page = 0
    let more = true
    for (; more && page < MAX_PAGES; page++) {
      const result = await call((api) => api.sessions.get({ query: { all: true, limit: PAGE, offset: page * PAGE } }))
      for (const s of result.items) found.set(s.id, s)
      const oldest = result.items.at(-1)
      more = result.items.length === PAGE && !!oldest && Date.parse(oldest.createdAt) >= since
    }
    truncated.value = more
    const live = await call((api) => api.sessions.get({ query: { all: true, state: "running", limit: PAGE } }))
    for (const s of live.items) found.set(s.id, s)
    running.value = live.total
    recent.value = [...found.values()]
  }

  async function load() {
    const now = Date.now()
    const [, waiting, people] = await Promise.all([
      loadSessions(now),
      call((api) => api.sessions.get({ query: { all: true, state: "pending", limit: 1 } })),
      call((api) => api.users.get({ query: { limit: 1 } })),
    ])
    pending.value = waiting.total
    users.value = people.total
    loadedAt.value = now
    loaded.value = true
  }

  return { recent, truncated, running, pending, users, loadedAt, loaded, load }
})
