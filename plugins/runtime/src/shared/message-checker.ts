// Checks IPC messages against their schema by `type`, so a refusal names the offending field.
import type { TLiteral, TObject, TUnion } from "@sinclair/typebox"
import { TypeCompiler } from "@sinclair/typebox/compiler"

export type CheckResult<T> = { ok: true; message: T } | { ok: false; error: string; id?: number }

/** Compiles one checker per message type of a union of `{ type: literal, ... }` objects. */
export const messageChecker = <T>(union: TUnion) => {
  const byType = new Map(
    union.anyOf.map((schema) => [((schema as TObject).properties.type as TLiteral<string>).const, TypeCompiler.Compile(schema)]),
  )
  const known = [...byType.keys()].join(", ")
  return (value: unknown): CheckResult<T> => {
    if (typeof value !== "object" || value === null) return { ok: false, error: "the message is not a JSON object" }
    const { type, id } = value as { type?: unknown; id?: unknown }
    const requestId = typeof id === "number" && Number.isInteger(id) && id > 0 ? id : undefined
    const check = typeof type === "string" ? byType.get(type) : undefined
    if (check === undefined) return { ok: false, error: `field /type: expected one of ${known}`, id: requestId }
    if (check.Check(value)) return { ok: true, message: value as T }
    const first = check.Errors(value).First()
    return { ok: false, error: `${type}: field ${first?.path || "/"}: ${first?.message ?? "invalid"}`, id: requestId }
  }
}
