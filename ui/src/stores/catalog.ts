// The catalog as a user browses it: filters, the matching templates, and the categories and tags in use.
import type { Template } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export interface CatalogFilters {
  q: string
  category: string | null
  tag: string | null
}

const PAGE = 200

export const useCatalogStore = defineStore("catalog", () => {
  const filters = ref<CatalogFilters>({ q: "", category: null, tag: null })
  const templates = ref<Template[]>([])
  const total = ref(0)
  const categories = ref<string[]>([])
  const tags = ref<string[]>([])

  async function load() {
    const { q, category, tag } = filters.value
    const page = await call((api) =>
      api.templates.get({
        query: { limit: PAGE, ...(q.trim() ? { q: q.trim() } : {}), ...(category ? { category } : {}), ...(tag ? { tag } : {}) },
      }),
    )
    // Admins also get disabled templates from this route; the catalog shows what users can launch.
    templates.value = page.items.filter((t) => t.enabled)
    total.value = page.total
  }

  async function loadFacets() {
    const facets = await call((api) => api.templates.facets.get())
    categories.value = facets.categories
    tags.value = facets.tags
  }

  return { filters, templates, total, categories, tags, load, loadFacets }
})
