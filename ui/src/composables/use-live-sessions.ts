// Keeps the sessions stores current while a page shows them: the control plane's event stream
// (SSE, a single-use ticket per connection) says which session changed, and only that row is
// fetched again. Reconnects with backoff and a new ticket, resuming after the last event seen.
import type { StreamSpaceEvent } from "@streamspace/schemas"
import { onBeforeUnmount, onMounted, ref } from "vue"
import { call } from "@/api/client.ts"
import { asApiError } from "@/api/problem.ts"
import { SESSION_EVENT_TYPES, sessionUpdateOf } from "@/modules/events/session-events.ts"
import { backoff } from "@/modules/viewer/reconnect.ts"
import { useAuthStore } from "@/stores/auth.ts"
import { useIdleWarningsStore } from "@/stores/idle-warnings.ts"
import { useSessionsStore } from "@/stores/sessions.ts"
import { useSharedSessionsStore } from "@/stores/shared-sessions.ts"

export type LiveState = "connecting" | "live" | "retrying" | "off"

export function useLiveSessions() {
  const auth = useAuthStore()
  const sessions = useSessionsStore()
  const shared = useSharedSessionsStore()
  const idle = useIdleWarningsStore()
  const state = ref<LiveState>("connecting")

  let source: EventSource | null = null
  let timer: ReturnType<typeof setTimeout> | undefined
  let lastEventId: string | null = null
  let failures = 0
  let stopped = false

  async function apply(event: StreamSpaceEvent) {
    const me = auth.user?.id
    const update = me ? sessionUpdateOf(event, me) : null
    if (!update) return
    if (update.kind === "idle-warning") idle.warn(update.sessionId, { action: update.action, deadline: update.deadline })
    else if (update.kind === "idle-cleared") idle.clear(update.sessionId)
    else if (update.kind === "remove") {
      idle.clear(update.sessionId)
      sessions.byId.delete(update.sessionId)
    } else if (update.kind === "refetch") {
      // A state change (hibernated, stopped, woken…) ends any countdown.
      idle.clear(update.sessionId)
      await sessions.fetchOne(update.sessionId).catch(() => {})
    } else if (sessions.byId.has(update.sessionId)) await sessions.fetchOne(update.sessionId).catch(() => {})
    else await shared.load().catch(() => {})
  }

  function retry() {
    source?.close()
    source = null
    if (stopped) return
    state.value = "retrying"
    failures += 1
    timer = setTimeout(() => void open(), backoff(Math.min(failures, 6)))
  }

  async function open() {
    if (stopped) return
    let url: string
    try {
      url = (await call((api) => api.events["stream-ticket"].post())).url
    } catch (e) {
      // Signed out: the auth guard leads away; nothing to stream.
      if (asApiError(e).status === 401) state.value = "off"
      else retry()
      return
    }
    if (stopped) return
    const resume = lastEventId ? `&lastEventId=${encodeURIComponent(lastEventId)}` : ""
    const es = new EventSource(`${url}${resume}`)
    source = es
    es.onopen = () => {
      failures = 0
      state.value = "live"
    }
    // The ticket is spent: EventSource's own reconnect would be refused, so a new ticket is asked for.
    es.onerror = () => {
      if (source === es) retry()
    }
    for (const type of SESSION_EVENT_TYPES)
      es.addEventListener(type, (e) => {
        const message = e as MessageEvent<string>
        if (message.lastEventId) lastEventId = message.lastEventId
        try {
          void apply(JSON.parse(message.data) as StreamSpaceEvent)
        } catch {
          // A frame that is not JSON is ignored; the next event or a reload brings the list back.
        }
      })
  }

  onMounted(() => void open())
  onBeforeUnmount(() => {
    stopped = true
    clearTimeout(timer)
    source?.close()
    source = null
    state.value = "off"
  })

  return { state }
}
