// Users and roles. Passwords never appear here: sign-in belongs to the auth plugin.
import { type Static, Type } from "@sinclair/typebox"
import { Nullable, Timestamp, Uuid } from "./common.ts"

export const Role = Type.Union([Type.Literal("admin"), Type.Literal("operator"), Type.Literal("user")])
export type Role = Static<typeof Role>

export const Username = Type.String({ minLength: 2, maxLength: 64, pattern: "^[a-z0-9][a-z0-9._-]*$" })
export const Email = Type.String({ format: "email", maxLength: 254 })

export const User = Type.Object({
  id: Uuid,
  username: Username,
  email: Nullable(Email),
  displayName: Type.String(),
  role: Role,
  disabled: Type.Boolean(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  lastSignInAt: Nullable(Timestamp),
})
export type User = Static<typeof User>

export const CreateUser = Type.Object(
  {
    username: Username,
    email: Type.Optional(Email),
    displayName: Type.Optional(Type.String({ maxLength: 128 })),
    role: Type.Optional(Role),
  },
  { additionalProperties: false },
)
export type CreateUser = Static<typeof CreateUser>

export const UpdateUser = Type.Object(
  {
    email: Type.Optional(Nullable(Email)),
    displayName: Type.Optional(Type.String({ maxLength: 128 })),
    role: Type.Optional(Role),
    disabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false, minProperties: 1 },
)
export type UpdateUser = Static<typeof UpdateUser>

export const UserQuery = Type.Object({
  q: Type.Optional(Type.String({ maxLength: 100 })),
  role: Type.Optional(Role),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
})
export type UserQuery = Static<typeof UserQuery>
