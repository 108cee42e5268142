// Catalog administration: every template (disabled ones too), edits, and catalog file imports.
import type { CatalogImportResult, Template, TemplateInput, UpdateTemplate } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export const useTemplatesStore = defineStore("templates", () => {
  const items = ref<Template[]>([])
  const total = ref(0)

  async function load() {
    const page = await call((api) => api.templates.get({ query: { limit: 500 } }))
    items.value = page.items
    total.value = page.total
  }

  async function create(input: TemplateInput): Promise<Template> {
    const created = await call((api) => api.templates.post(input))
    await load()
    return created
  }

  async function update(id: string, patch: UpdateTemplate): Promise<Template> {
    const updated = await call((api) => api.templates({ id }).patch(patch))
    items.value = items.value.map((t) => (t.id === id ? updated : t))
    return updated
  }

  async function remove(id: string) {
    await call((api) => api.templates({ id }).delete())
    items.value = items.value.filter((t) => t.id !== id)
  }

  /** A catalog file as text, YAML or JSON; the whole file lands or none of it. */
  async function importCatalog(text: string): Promise<CatalogImportResult> {
    const result = await call((api) => api.templates.import.post(text))
    await load()
    return result
  }

  return { items, total, load, create, update, remove, importCatalog }
})
