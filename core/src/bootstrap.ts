// First-start duties: the signing key, the first admin and its one-time setup token, the default catalog.
import { randomBytes } from "node:crypto"
import type { Sql } from "./infra/db/connect.ts"
import { hashSecret, newSecret } from "./infra/ids.ts"
import { getSetting, putSetting, putSettingOnce } from "./modules/settings/repo.ts"

export const SETUP_TOKEN_KEY = "setup_token"
export const SETUP_DONE_KEY = "setup_completed"
const SETUP_TOKEN_TTL_MS = 24 * 3600 * 1000

/** A configured key wins; otherwise one is generated once and kept so tokens survive restarts. */
export const ensureSigningKey = async (sql: Sql, configured: string | undefined): Promise<string> =>
  configured ?? (await putSettingOnce(sql, "jwt_secret", randomBytes(48).toString("base64url")))

export interface SetupToken {
  hash: string
  userId: string
  expiresAt: string
}

/**
 * Creates the admin account when the database has no user, and while setup is not finished issues
 * a fresh one-time setup token on every start. There is never a default password.
 */
export async function ensureFirstAdmin(sql: Sql, username: string): Promise<{ token: string; username: string } | null> {
  if (await getSetting<boolean>(sql, SETUP_DONE_KEY)) return null
  // One statement, so the user and its user.created event commit together.
  await sql`with created as (
      insert into users (username, display_name, role)
      select ${username}, 'Administrator', 'admin' where not exists (select 1 from users)
      returning id, username, role)
    insert into outbox (type, payload)
    select 'user.created', jsonb_build_object('userId', id, 'username', username, 'role', role) from created`
  const admin = (
    await sql<{ id: string; username: string }[]>`
    select id, username from users where role = 'admin' order by created_at limit 1`
  )[0]
  if (!admin) return null
  const token = newSecret("sst", 24)
  const value: SetupToken = {
    hash: hashSecret(token),
    userId: admin.id,
    expiresAt: new Date(Date.now() + SETUP_TOKEN_TTL_MS).toISOString(),
  }
  await putSetting(sql, SETUP_TOKEN_KEY, value)
  return { token, username: admin.username }
}
