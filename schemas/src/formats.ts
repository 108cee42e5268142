// String formats the shapes use, for TypeBox's Value checks outside Elysia (which brings its own).
import { FormatRegistry } from "@sinclair/typebox"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/**
 * Registers uuid, date-time and email once; formats someone registered before are left alone,
 * unless `replace` (for a library that installed slow checks of its own).
 */
export function registerFormats(options: { replace?: boolean } = {}): void {
  const formats: Record<string, (value: string) => boolean> = {
    uuid: (v) => UUID.test(v),
    "date-time": (v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)),
    email: (v) => EMAIL.test(v),
  }
  for (const [name, check] of Object.entries(formats))
    if (options.replace || !FormatRegistry.Has(name)) FormatRegistry.Set(name, check)
}
