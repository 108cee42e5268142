// RFC 9457 problem details: the one error shape every route returns.
import { type Static, Type } from "@sinclair/typebox"

export const FieldError = Type.Object({
  field: Type.String({ description: "JSON pointer-like path of the offending field, e.g. /templateId" }),
  message: Type.String(),
})

export const Problem = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.String({ description: "Stable SCREAMING_SNAKE error code" }),
  instance: Type.Optional(Type.String()),
  requestId: Type.Optional(Type.String()),
  errors: Type.Optional(Type.Array(FieldError)),
})
export type Problem = Static<typeof Problem>
export type FieldError = Static<typeof FieldError>
