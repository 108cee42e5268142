// Small building blocks reused by every other shape.
import { type TSchema, Type } from "@sinclair/typebox"

export const Uuid = Type.String({ format: "uuid" })
export const Timestamp = Type.String({ format: "date-time", description: "ISO 8601 timestamp" })
export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()])

/** A list response: items plus the total that matched, for paging UIs. */
export const Page = <T extends TSchema>(item: T) => Type.Object({ items: Type.Array(item), total: Type.Integer({ minimum: 0 }) })

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
})

export const IdParams = Type.Object({ id: Uuid })
