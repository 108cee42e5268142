// SQL for users. Only the users service calls it.
import type { CreateUser, Role, UpdateUser, User, UserQuery } from "@streamspace/schemas"
import type { Sql } from "../../infra/db/connect.ts"

const columns = (sql: Sql) => sql`id, username, email, display_name, role, disabled, created_at, updated_at, last_sign_in_at`

export const findUserById = async (sql: Sql, id: string) =>
  (await sql<User[]>`select ${columns(sql)} from users where id = ${id}`)[0] ?? null

export const findUserByName = async (sql: Sql, username: string) =>
  (await sql<User[]>`select ${columns(sql)} from users where username = ${username}`)[0] ?? null

export const findUserByEmail = async (sql: Sql, email: string) =>
  (await sql<User[]>`select ${columns(sql)} from users where lower(email) = lower(${email})`)[0] ?? null

export async function listUsers(sql: Sql, q: UserQuery) {
  const search = q.q ? `%${q.q.toLowerCase()}%` : null
  const where = sql`where (${search}::text is null or lower(username) like ${search} or lower(display_name) like ${search}
    or lower(coalesce(email, '')) like ${search}) and (${q.role ?? null}::text is null or role = ${q.role ?? null})`
  const items = await sql<User[]>`select ${columns(sql)} from users ${where}
    order by username limit ${q.limit ?? 50} offset ${q.offset ?? 0}`
  const [count] = await sql<{ n: number }[]>`select count(*)::int as n from users ${where}`
  return { items, total: count?.n ?? 0 }
}

export const insertUser = async (sql: Sql, u: CreateUser & { role: Role }) =>
  (
    await sql<User[]>`insert into users (username, email, display_name, role)
      values (${u.username}, ${u.email ?? null}, ${u.displayName ?? u.username}, ${u.role})
      returning ${columns(sql)}`
  )[0] as User

export async function updateUser(sql: Sql, id: string, patch: UpdateUser) {
  const set: Record<string, unknown> = {}
  if (patch.email !== undefined) set.email = patch.email
  if (patch.displayName !== undefined) set.displayName = patch.displayName
  if (patch.role !== undefined) set.role = patch.role
  if (patch.disabled !== undefined) set.disabled = patch.disabled
  const rows = await sql<User[]>`update users set ${sql(set)}, updated_at = now() where id = ${id}
    returning ${columns(sql)}`
  return rows[0] ?? null
}

export const deleteUser = async (sql: Sql, id: string) => (await sql`delete from users where id = ${id}`).count > 0

export const countAdmins = async (sql: Sql) =>
  (await sql<{ n: number }[]>`select count(*)::int as n from users where role = 'admin' and not disabled`)[0]?.n ?? 0

export const countUsers = async (sql: Sql) => (await sql<{ n: number }[]>`select count(*)::int as n from users`)[0]?.n ?? 0

export const touchSignIn = (sql: Sql, id: string) => sql`update users set last_sign_in_at = now() where id = ${id}`
