// API keys: long-lived credentials for scripts. The secret is shown once, stored as a hash.
import { type Static, Type } from "@sinclair/typebox"
import { Nullable, Timestamp, Uuid } from "./common.ts"

export const ApiKey = Type.Object({
  id: Uuid,
  userId: Uuid,
  name: Type.String(),
  prefix: Type.String({ description: "First characters of the key, to recognise it in lists" }),
  createdAt: Timestamp,
  expiresAt: Nullable(Timestamp),
  lastUsedAt: Nullable(Timestamp),
  revokedAt: Nullable(Timestamp),
})
export type ApiKey = Static<typeof ApiKey>

export const CreateApiKey = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 3650 })),
  },
  { additionalProperties: false },
)
export type CreateApiKey = Static<typeof CreateApiKey>

/** Returned once, at creation: the only time the secret is visible. */
export const CreatedApiKey = Type.Composite([ApiKey, Type.Object({ secret: Type.String() })])
export type CreatedApiKey = Static<typeof CreatedApiKey>
