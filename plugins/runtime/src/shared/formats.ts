// String formats the shared shapes use; TypeBox checks none by itself. Registers only those still missing.
import { FormatRegistry } from "@sinclair/typebox"

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i

const formats: Record<string, (value: string) => boolean> = {
  uuid: (v) => UUID.test(v),
  email: (v) => EMAIL.test(v),
  "date-time": (v) => DATE_TIME.test(v) && !Number.isNaN(Date.parse(v)),
}

for (const [name, check] of Object.entries(formats)) if (!FormatRegistry.Has(name)) FormatRegistry.Set(name, check)
