// How a plugin action's JSON result reads to an admin: one-time secrets taken out to be shown apart,
// lists of objects and single objects as tables, everything else as formatted JSON.
import { labelOf } from "./schema-form.ts"

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v)

/** Top-level string fields a plugin answers once and never again (a webhook's signing secret, a token). */
const SECRET_KEY = /(secret|token|password)$/i

export interface ResultSecret {
  key: string
  label: string
  value: string
}

export function splitSecrets(result: unknown): { secrets: ResultSecret[]; rest: unknown } {
  if (!isObject(result)) return { secrets: [], rest: result }
  const secrets: ResultSecret[] = []
  const rest: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(result)) {
    if (SECRET_KEY.test(key) && typeof value === "string" && value !== "")
      secrets.push({ key, label: labelOf(key).toLowerCase(), value })
    else rest[key] = value
  }
  return { secrets, rest }
}

export interface ResultTable {
  columns: string[]
  rows: Record<string, unknown>[]
}

/** An array of objects as rows under the union of their keys (first seen first); null when it is not one. */
export function tableOf(value: unknown): ResultTable | null {
  if (!Array.isArray(value) || value.length === 0 || !value.every(isObject)) return null
  const columns = [...new Set(value.flatMap((row) => Object.keys(row)))]
  return { columns, rows: value }
}

/** One cell: text as it is, a list of scalars joined, anything structured as compact JSON. */
export function cellText(v: unknown): string {
  if (v === undefined) return ""
  if (v === null) return "—"
  if (typeof v === "string") return v
  if (typeof v === "number" || typeof v === "boolean") return String(v)
  if (Array.isArray(v) && v.every((x) => typeof x !== "object" || x === null)) return v.map(cellText).join(", ")
  return JSON.stringify(v)
}
