// The one-time setup token that bootstrap stored (hashed) for the first admin: check it, claim it once, give it back.
import { SETUP_DONE_KEY, SETUP_TOKEN_KEY, type SetupToken } from "../../bootstrap.ts"
import type { Sql } from "../../infra/db/connect.ts"
import { hashSecret } from "../../infra/ids.ts"
import { getSetting, putSetting, putSettingOnce } from "../settings/repo.ts"
import { AuthRefused } from "./errors.ts"

export const setupCompleted = async (sql: Sql): Promise<boolean> => (await getSetting<boolean>(sql, SETUP_DONE_KEY)) === true

const invalid = () =>
  new AuthRefused(
    "SETUP_TOKEN_INVALID",
    "The setup token is wrong, used or expired. Restart the control plane to print a new one.",
    { field: "token" },
  )

/**
 * Takes the token out of settings if it matches and is unexpired: one delete, so two requests with
 * the same token cannot both pass. The caller gives it back with `restoreSetupToken` if setup fails.
 */
export async function claimSetupToken(sql: Sql, token: string): Promise<SetupToken> {
  if (await setupCompleted(sql)) throw new AuthRefused("SETUP_ALREADY_DONE", "Setup is already done. Sign in instead.")
  const [row] = await sql<{ value: SetupToken }[]>`
    delete from settings where key = ${SETUP_TOKEN_KEY} and value->>'hash' = ${hashSecret(token)} returning value`
  if (row === undefined) throw invalid()
  if (Date.parse(row.value.expiresAt) <= Date.now()) throw invalid()
  return row.value
}

export const restoreSetupToken = (sql: Sql, token: SetupToken) => putSettingOnce(sql, SETUP_TOKEN_KEY, token)

export const completeSetup = (sql: Sql) => putSetting(sql, SETUP_DONE_KEY, true)
