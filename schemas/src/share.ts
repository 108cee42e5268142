// Session shares: the owner lets another user watch (`view`) or use (`control`) a session's desktop.
import { type Static, Type } from "@sinclair/typebox"
import { Nullable, Timestamp, Uuid } from "./common.ts"
import { SessionState } from "./session.ts"
import { Username } from "./user.ts"

export const ShareLevel = Type.Union([Type.Literal("view"), Type.Literal("control")], {
  description: "view: the screen only, input is dropped in the relay; control: screen, keyboard, mouse and clipboard",
})
export type ShareLevel = Static<typeof ShareLevel>

export const Share = Type.Object({
  id: Uuid,
  sessionId: Uuid,
  userId: Uuid,
  username: Username,
  level: ShareLevel,
  expiresAt: Nullable(Timestamp),
  createdAt: Timestamp,
  createdBy: Nullable(Uuid),
})
export type Share = Static<typeof Share>

/** Granting again to the same user replaces the level and expiry. */
export const CreateShare = Type.Object(
  {
    username: Username,
    level: ShareLevel,
    expiresAt: Type.Optional(Timestamp),
  },
  { additionalProperties: false },
)
export type CreateShare = Static<typeof CreateShare>

export const ShareParams = Type.Object({ id: Uuid, shareId: Uuid })

/** A session someone else shared with the caller, with what the portal shows about it. */
export const SharedSession = Type.Object({
  shareId: Uuid,
  sessionId: Uuid,
  level: ShareLevel,
  expiresAt: Nullable(Timestamp),
  sharedAt: Timestamp,
  owner: Username,
  ownerDisplayName: Type.String(),
  templateName: Type.String(),
  state: SessionState,
})
export type SharedSession = Static<typeof SharedSession>
