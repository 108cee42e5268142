// User administration and lookups. Sign-in itself belongs to the auth plugin.
import type { CreateUser, Role, UpdateUser, User, UserQuery } from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { appendEvent } from "../events/outbox.ts"
import { Conflict, NotFound } from "../../http/errors.ts"
import type { Principal } from "../identity/principal.ts"
import { countActiveSessionsOf } from "../sessions/service.ts"
import * as repo from "./repo.ts"

const isUniqueViolation = (e: unknown, constraint: string) =>
  typeof e === "object" &&
  e !== null &&
  (e as { code?: string }).code === "23505" &&
  String((e as { constraint_name?: string }).constraint_name ?? "").includes(constraint)

export async function createUser(deps: CoreDeps, input: CreateUser): Promise<User> {
  try {
    return await deps.sql.begin(async (tx) => {
      const user = await repo.insertUser(tx, { ...input, role: input.role ?? "user" })
      await appendEvent(tx, "user.created", { userId: user.id, username: user.username, role: user.role })
      return user
    })
  } catch (e) {
    if (isUniqueViolation(e, "username")) throw new Conflict(`The username ${input.username} is taken.`, "USERNAME_TAKEN")
    if (isUniqueViolation(e, "email")) throw new Conflict(`The email ${input.email} belongs to another user.`, "EMAIL_TAKEN")
    throw e
  }
}

export async function getUser(deps: CoreDeps, id: string): Promise<User> {
  const user = await repo.findUserById(deps.sql, id)
  if (!user) throw new NotFound("That user")
  return user
}

/** For authentication: the user if it exists and is not disabled. */
export async function getActiveUser(deps: CoreDeps, id: string): Promise<User | null> {
  const user = await repo.findUserById(deps.sql, id)
  return user && !user.disabled ? user : null
}

export const findUserByName = (deps: CoreDeps, username: string) => repo.findUserByName(deps.sql, username)
export const findUserByEmail = (deps: CoreDeps, email: string) => repo.findUserByEmail(deps.sql, email)
export const listUsers = (deps: CoreDeps, q: UserQuery) => repo.listUsers(deps.sql, q)
export const countUsers = (deps: CoreDeps) => repo.countUsers(deps.sql)
/** A new sign-in (not a refresh): the last sign-in time and the user.signed_in event commit together. */
export const recordSignIn = (deps: CoreDeps, user: Pick<User, "id" | "username">, method: string) =>
  deps.sql.begin(async (tx) => {
    await repo.touchSignIn(tx, user.id)
    await appendEvent(tx, "user.signed_in", { userId: user.id, username: user.username, method })
  })

export const recordSignOut = (deps: CoreDeps, userId: string) =>
  deps.sql.begin((tx) => appendEvent(tx, "user.signed_out", { userId }))

/** The platform must always keep one enabled admin, or nobody could administer it again. */
async function guardLastAdmin(deps: CoreDeps, user: User, becomes: { role?: Role; disabled?: boolean; deleted?: boolean }) {
  if (user.role !== "admin" || user.disabled) return
  const losesAdmin = becomes.deleted || becomes.disabled === true || (becomes.role && becomes.role !== "admin")
  if (losesAdmin && (await repo.countAdmins(deps.sql)) <= 1)
    throw new Conflict("This is the last enabled admin. Make another user an admin first.", "LAST_ADMIN")
}

export async function updateUser(deps: CoreDeps, id: string, patch: UpdateUser): Promise<User> {
  const user = await getUser(deps, id)
  await guardLastAdmin(deps, user, patch)
  try {
    const updated = await repo.updateUser(deps.sql, id, patch)
    if (!updated) throw new NotFound("That user")
    deps.principals.forget()
    return updated
  } catch (e) {
    if (isUniqueViolation(e, "email")) throw new Conflict(`The email ${patch.email} belongs to another user.`, "EMAIL_TAKEN")
    throw e
  }
}

export async function deleteUser(deps: CoreDeps, actor: Principal, id: string): Promise<void> {
  if (actor.id === id) throw new Conflict("You cannot delete your own account.", "SELF_DELETE")
  const user = await getUser(deps, id)
  await guardLastAdmin(deps, user, { deleted: true })
  const active = await countActiveSessionsOf(deps, id)
  if (active > 0) throw new Conflict(`The user still has ${active} active session(s). Stop them first.`, "USER_HAS_SESSIONS")
  await repo.deleteUser(deps.sql, id)
  deps.principals.forget()
}
