// Sessions other users share with the signed-in user ("Shared with me"), as GET /api/v1/shares lists them.
import type { SharedSession } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export const useSharedSessionsStore = defineStore("shared-sessions", () => {
  const items = ref<SharedSession[]>([])

  async function load() {
    items.value = await call((api) => api.shares.get())
  }

  const find = (sessionId: string) => items.value.find((s) => s.sessionId === sessionId) ?? null

  return { items, load, find }
})
