// Audit rows: one for every mutating call, success or not.
import { type Static, Type } from "@sinclair/typebox"
import { Nullable, Timestamp, Uuid } from "./common.ts"

export const AuditOutcome = Type.Union([Type.Literal("success"), Type.Literal("failure")])

export const AuditEvent = Type.Object({
  id: Uuid,
  at: Timestamp,
  actorId: Nullable(Uuid),
  actorName: Nullable(Type.String()),
  action: Type.String({ description: "e.g. session.create, user.update" }),
  targetType: Nullable(Type.String()),
  targetId: Nullable(Type.String()),
  outcome: AuditOutcome,
  status: Type.Integer({ description: "HTTP status of the call" }),
  ip: Nullable(Type.String()),
  requestId: Type.String(),
  detail: Type.Record(Type.String(), Type.Unknown()),
})
export type AuditEvent = Static<typeof AuditEvent>

export const AuditQuery = Type.Object({
  actorId: Type.Optional(Uuid),
  action: Type.Optional(Type.String({ maxLength: 100 })),
  targetType: Type.Optional(Type.String({ maxLength: 50 })),
  targetId: Type.Optional(Type.String({ maxLength: 100 })),
  outcome: Type.Optional(AuditOutcome),
  since: Type.Optional(Timestamp),
  until: Type.Optional(Timestamp),
  format: Type.Optional(Type.Union([Type.Literal("json"), Type.Literal("csv")])),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
})
export type AuditQuery = Static<typeof AuditQuery>
