// Audit export as CSV (RFC 4180 quoting), for spreadsheets and SIEM imports.
import type { AuditEvent } from "@streamspace/schemas"

const COLUMNS = [
  "at",
  "actorName",
  "actorId",
  "action",
  "targetType",
  "targetId",
  "outcome",
  "status",
  "ip",
  "requestId",
  "detail",
] as const

const cell = (v: unknown): string => {
  const s = v === null || v === undefined ? "" : typeof v === "object" ? JSON.stringify(v) : String(v)
  // A leading = + - @ would be run as a formula by spreadsheet programs.
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s
  return /[",\n\r]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe
}

export const toCsv = (rows: readonly AuditEvent[]): string =>
  `${[COLUMNS.join(","), ...rows.map((r) => COLUMNS.map((c) => cell(r[c])).join(","))].join("\r\n")}\r\n`
