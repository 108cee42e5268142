// The audit trail for admins: filters, one page at a time, and exports of everything that matches.
import type { AuditEvent, AuditQuery } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export interface AuditFilters {
  action: string
  outcome: "success" | "failure" | null
  targetType: string | null
  actorId: string | null
  /** yyyy-mm-dd from a date input, read as local midnight. */
  since: string
  until: string
}

export const AUDIT_PAGE = 25

const emptyFilters = (): AuditFilters => ({ action: "", outcome: null, targetType: null, actorId: null, since: "", until: "" })

const dayStart = (day: string, plusDays = 0) => {
  const d = new Date(`${day}T00:00:00`)
  d.setDate(d.getDate() + plusDays)
  return d.toISOString()
}

/** The filters as the API's query; "until" includes the whole day picked. */
export function auditQueryOf(f: AuditFilters): AuditQuery {
  return {
    ...(f.action.trim() ? { action: f.action.trim() } : {}),
    ...(f.outcome ? { outcome: f.outcome } : {}),
    ...(f.targetType ? { targetType: f.targetType } : {}),
    ...(f.actorId ? { actorId: f.actorId } : {}),
    ...(f.since ? { since: dayStart(f.since) } : {}),
    ...(f.until ? { until: dayStart(f.until, 1) } : {}),
  }
}

export const useAuditStore = defineStore("audit", () => {
  const filters = ref<AuditFilters>(emptyFilters())
  const page = ref(1)
  const items = ref<AuditEvent[]>([])
  const total = ref(0)

  async function load() {
    const result = await call((api) =>
      api.audit.get({ query: { ...auditQueryOf(filters.value), limit: AUDIT_PAGE, offset: (page.value - 1) * AUDIT_PAGE } }),
    )
    items.value = result.items
    total.value = result.total
  }

  /** Everything that matches the filters, as the file the control plane renders. */
  async function exportAs(format: "csv" | "json"): Promise<Blob> {
    const body = await call((api) => api.audit.export.get({ query: { ...auditQueryOf(filters.value), format } }))
    const text = typeof body === "string" ? body : JSON.stringify(body, null, 2)
    return new Blob([text], { type: format === "csv" ? "text/csv" : "application/json" })
  }

  function clearFilters() {
    filters.value = emptyFilters()
    page.value = 1
  }

  return { filters, page, items, total, load, exportAs, clearFilters }
})
