// Per-install secrets, encrypted at rest with AES-256-GCM; the values are write-only through the API.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { HostCallError } from "@streamspace/plugin-runtime/host"
import type { Sql } from "../../infra/db/connect.ts"
import { putSettingOnce } from "../settings/repo.ts"

const SETTING = "plugins.secretsKey"

/**
 * The key from PLUGIN_SECRETS_KEY, or one generated on first use and kept in settings. The latter
 * protects against a leaked table dump or backup of plugin_secrets alone, not of the whole database:
 * set the variable to keep the key out of it.
 */
export function secretsKeySource(sql: Sql, fromEnv: string | undefined): () => Promise<Buffer> {
  let key: Promise<Buffer> | undefined
  return () => {
    key ??= fromEnv
      ? Promise.resolve(Buffer.from(fromEnv, "hex"))
      : putSettingOnce(sql, SETTING, randomBytes(32).toString("hex")).then((hex) => Buffer.from(hex, "hex"))
    return key
  }
}

/** Binds a ciphertext to its install and name: a row copied elsewhere does not decrypt. */
const aadOf = (installId: string, name: string) => Buffer.from(`${installId}\u0000${name}`)

export async function putSecret(sql: Sql, key: Buffer, installId: string, name: string, value: string) {
  const iv = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aadOf(installId, name))
  const ciphertext = Buffer.concat([cipher.update(value, "utf8"), cipher.final()])
  const tag = cipher.getAuthTag()
  await sql`insert into plugin_secrets (install_id, name, iv, ciphertext, tag)
    values (${installId}, ${name}, ${iv}, ${ciphertext}, ${tag})
    on conflict (install_id, name) do update set iv = excluded.iv, ciphertext = excluded.ciphertext, tag = excluded.tag,
      updated_at = now()`
}

export async function readSecret(sql: Sql, key: Buffer, installId: string, name: string): Promise<string | null> {
  const [row] = await sql<{ iv: Buffer; ciphertext: Buffer; tag: Buffer }[]>`select iv, ciphertext, tag from plugin_secrets
    where install_id = ${installId} and name = ${name}`
  if (row === undefined) return null
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, row.iv).setAAD(aadOf(installId, name)).setAuthTag(row.tag)
    return Buffer.concat([decipher.update(row.ciphertext), decipher.final()]).toString("utf8")
  } catch {
    // The key changed (PLUGIN_SECRETS_KEY) or the row was tampered with: GCM refuses either way.
    throw new HostCallError(
      "HOST_CALL_FAILED",
      `The secret ${name} cannot be decrypted with the current key; an admin must set it again.`,
    )
  }
}

export const deleteSecret = async (sql: Sql, installId: string, name: string) =>
  (await sql`delete from plugin_secrets where install_id = ${installId} and name = ${name}`).count > 0

export const listSecretNames = (sql: Sql, installId: string) =>
  sql<{ name: string; updatedAt: string }[]>`select name, updated_at from plugin_secrets
    where install_id = ${installId} order by name`
