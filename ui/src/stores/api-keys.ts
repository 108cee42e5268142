// API keys: the caller's own, or (admins) everyone's. A new key's secret lives only in the create answer.
import type { ApiKey, CreateApiKey, CreatedApiKey } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export const useApiKeysStore = defineStore("api-keys", () => {
  const all = ref(false)
  const items = ref<ApiKey[]>([])

  async function load() {
    items.value = await call((api) => api["api-keys"].get({ query: all.value ? { all: true } : {} }))
  }

  /** The answer carries the secret; the store keeps only the key's public fields. */
  async function create(input: CreateApiKey): Promise<CreatedApiKey> {
    const created = await call((api) => api["api-keys"].post(input))
    const { secret: _, ...key } = created
    items.value = [key, ...items.value]
    return created
  }

  async function revoke(id: string) {
    const revoked = await call((api) => api["api-keys"]({ id }).delete())
    items.value = items.value.map((k) => (k.id === id ? revoked : k))
  }

  return { all, items, load, create, revoke }
})
