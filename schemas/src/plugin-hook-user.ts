// The user on whose behalf the core asks a plugin hook; shared by the hook files.
import { type Static, Type } from "@sinclair/typebox"
import { Uuid } from "./common.ts"
import { Role, Username } from "./user.ts"

export const HookUser = Type.Object({ id: Uuid, username: Username, role: Role })
export type HookUser = Static<typeof HookUser>
