// The signed-in user's sessions, keyed by id so that live updates (events, later) can land with upsert().
import type { Session } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { computed, ref } from "vue"
import { call } from "@/api/client.ts"

const PAGE = 200

export const useSessionsStore = defineStore("sessions", () => {
  const byId = ref(new Map<string, Session>())

  const mine = computed(() => [...byId.value.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)))

  function upsert(session: Session) {
    byId.value.set(session.id, session)
  }

  async function load() {
    const page = await call((api) => api.sessions.get({ query: { limit: PAGE } }))
    byId.value = new Map(page.items.map((s) => [s.id, s]))
  }

  /** One session of the user's own (admins: anyone's); 404 for sessions only shared with them. */
  async function fetchOne(id: string): Promise<Session> {
    const session = await call((api) => api.sessions({ id }).get())
    upsert(session)
    return session
  }

  async function launch(templateId: string): Promise<Session> {
    const created = await call((api) => api.sessions.post({ templateId }))
    upsert(created)
    return created
  }

  /** Stops an active session (it moves to stopping/stopped) or removes a finished one from the list. */
  async function end(id: string): Promise<void> {
    const answer = await call((api) => api.sessions({ id }).delete())
    if (answer && typeof answer === "object") upsert(answer)
    else byId.value.delete(id)
  }

  async function hibernate(id: string) {
    upsert(await call((api) => api.sessions({ id }).hibernate.post()))
  }

  async function wake(id: string) {
    upsert(await call((api) => api.sessions({ id }).wake.post()))
  }

  return { byId, mine, upsert, load, fetchOne, launch, end, hibernate, wake }
})
