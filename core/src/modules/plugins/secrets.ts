// Per-install secrets, encrypted at rest with AES-256-GCM: an admin's (write-only through the API) and the plugin's own.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto"
import { HostCallError, type SecretOwner } from "@streamspace/plugin-runtime/host"
import type { RootSql, Sql } from "../../infra/db/connect.ts"

/**
 * Binds a ciphertext to its install, name and owner: a row copied to another install or name (or from
 * the plugin's secrets to the admin's) does not decrypt. Admin rows keep the form they had before
 * plugins kept secrets of their own, so they need no re-encryption.
 */
const aadOf = (installId: string, owner: SecretOwner, name: string) =>
  Buffer.from(owner === "admin" ? `${installId}\u0000${name}` : `${installId}\u0000${name}\u0000${owner}`)

export interface SealedSecret {
  iv: Buffer
  ciphertext: Buffer
  tag: Buffer
}

export function seal(key: Buffer, installId: string, owner: SecretOwner, name: string, value: string): SealedSecret {
  const iv = randomBytes(12) // never reused under a key: GCM's one rule
  const cipher = createCipheriv("aes-256-gcm", key, iv).setAAD(aadOf(installId, owner, name))
  const ciphertext = Buffer.concat([cipher.update(value, "utf8"), cipher.final()])
  return { iv, ciphertext, tag: cipher.getAuthTag() }
}

/** The plain text, or null when GCM refuses: another key, another install or name, or a tampered row. */
export function unseal(key: Buffer, installId: string, owner: SecretOwner, name: string, sealed: SealedSecret): string | null {
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, sealed.iv)
      .setAAD(aadOf(installId, owner, name))
      .setAuthTag(sealed.tag)
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]).toString("utf8")
  } catch {
    return null
  }
}

export async function putSecret(sql: Sql, key: Buffer, installId: string, owner: SecretOwner, name: string, value: string) {
  const { iv, ciphertext, tag } = seal(key, installId, owner, name, value)
  await sql`insert into plugin_secrets (install_id, owner, name, iv, ciphertext, tag)
    values (${installId}, ${owner}, ${name}, ${iv}, ${ciphertext}, ${tag})
    on conflict (install_id, owner, name) do update set iv = excluded.iv, ciphertext = excluded.ciphertext, tag = excluded.tag,
      updated_at = now()`
}

/**
 * A plugin's own secret, refused past `maxSecrets` names. The install's row is locked so that two
 * replicas adding secrets at once cannot both fit under the count.
 */
export const putOwnSecret = (sql: RootSql, key: Buffer, installId: string, name: string, value: string, maxSecrets: number) =>
  sql.begin(async (tx) => {
    await tx`select id from plugin_installs where id = ${installId} for update`
    const [others] = await tx<{ count: number }[]>`select count(*)::int as count from plugin_secrets
      where install_id = ${installId} and owner = 'plugin' and name <> ${name}`
    if ((others?.count ?? 0) >= maxSecrets)
      throw new HostCallError(
        "HOST_QUOTA_EXCEEDED",
        `This install keeps ${others?.count} secrets already; its grant allows ${maxSecrets}.`,
      )
    await putSecret(tx, key, installId, "plugin", name, value)
  })

export async function readSecret(
  sql: Sql,
  key: Buffer,
  installId: string,
  owner: SecretOwner,
  name: string,
): Promise<string | null> {
  const [row] = await sql<SealedSecret[]>`select iv, ciphertext, tag from plugin_secrets
    where install_id = ${installId} and owner = ${owner} and name = ${name}`
  if (row === undefined) return null
  const value = unseal(key, installId, owner, name, row)
  if (value === null)
    throw new HostCallError(
      "HOST_CALL_FAILED",
      `The secret ${name} cannot be decrypted with this control plane's PLUGIN_SECRETS_KEY (it was written with another key, or changed in the database); it must be set again.`,
    )
  return value
}

export const deleteSecret = async (sql: Sql, installId: string, owner: SecretOwner, name: string) =>
  (await sql`delete from plugin_secrets where install_id = ${installId} and owner = ${owner} and name = ${name}`).count > 0

/** The admin's secrets of an install (the plugin's own are its business, and may be many). */
export const listSecretNames = (sql: Sql, installId: string) =>
  sql<{ name: string; updatedAt: string }[]>`select name, updated_at from plugin_secrets
    where install_id = ${installId} and owner = 'admin' order by name`
