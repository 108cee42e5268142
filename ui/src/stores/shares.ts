// Who a session is shared with, as its owner manages it.
import type { CreateShare, Share } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export const useSharesStore = defineStore("shares", () => {
  /** Shares of one session, by session id, as far as they were loaded. */
  const bySession = ref(new Map<string, Share[]>())

  async function loadFor(sessionId: string) {
    bySession.value.set(sessionId, await call((api) => api.sessions({ id: sessionId }).shares.get()))
  }

  /** Granting to a user who has a share already replaces its level and expiry. */
  async function grant(sessionId: string, input: CreateShare): Promise<Share> {
    const share = await call((api) => api.sessions({ id: sessionId }).shares.post(input))
    const others = (bySession.value.get(sessionId) ?? []).filter((s) => s.userId !== share.userId)
    bySession.value.set(sessionId, [...others, share])
    return share
  }

  async function revoke(sessionId: string, shareId: string) {
    await call((api) => api.sessions({ id: sessionId }).shares({ shareId }).delete())
    bySession.value.set(
      sessionId,
      (bySession.value.get(sessionId) ?? []).filter((s) => s.id !== shareId),
    )
  }

  return { bySession, loadFor, grant, revoke }
})
