// Query strings carry text: this lets a shared query shape's integer fields accept their decimal form.
import { Kind, type TObject } from "@sinclair/typebox"

const DECIMAL_INTEGER = /^-?\d{1,15}$/

/**
 * Elysia decodes `Type.Number` and `Type.Boolean` query fields from text but not `Type.Integer`, so
 * `?limit=20` would be refused as "Expected integer". Converting in the transform step, before
 * validation, keeps the shared shape as it is and lets a bad value fail validation with its field
 * named (a decoding schema would report the failure without the field).
 * Spread into a route's options: `{ ...integerQuery(UserQuery), auth: "admin" }`.
 */
export function integerQuery<T extends TObject>(query: T) {
  const integerKeys = Object.entries(query.properties)
    .filter(([, schema]) => schema[Kind] === "Integer")
    .map(([key]) => key)
  return {
    query,
    transform(ctx: { query: Record<string, unknown> }) {
      for (const key of integerKeys) {
        const value = ctx.query[key]
        if (typeof value === "string" && DECIMAL_INTEGER.test(value)) ctx.query[key] = Number(value)
      }
    },
  }
}
