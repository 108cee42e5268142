// The key plugin secrets are encrypted with: PLUGIN_SECRETS_KEY, or a file in DATA_DIR. Never the database it protects.
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import { createHmac, randomBytes } from "node:crypto"
import { dirname, join } from "node:path"
import type { RootSql, Sql } from "../../infra/db/connect.ts"
import { deleteSetting, getSetting, putSetting } from "../settings/repo.ts"
import { seal, type SealedSecret, unseal } from "./secrets.ts"

export const SECRETS_KEY_FILE = "plugin-secrets.key"
/** Where earlier versions kept a generated key: in the database, beside what it encrypts. */
const LEGACY_KEY_SETTING = "plugins.secretsKey"
const KEY_CHECK_SETTING = "plugins.secretsKeyCheck"
/** Serialises replicas that start together, so one writes the key check and the others compare with it. */
const KEY_LOCK = 7_281_101

/** The key cannot be used; the message says what to do. main prints it as one line and exits 2. */
export class SecretsKeyError extends Error {}

/** 32 bytes as 64 hex characters or as base64 (standard or URL-safe); anything else is refused. */
export function parseSecretsKey(text: string, what: string): Buffer {
  const trimmed = text.trim()
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed)
    ? Buffer.from(trimmed, "hex")
    : /^[A-Za-z0-9+/_-]{43}=?$/.test(trimmed)
      ? Buffer.from(trimmed, "base64")
      : null
  if (key?.length !== 32) throw new SecretsKeyError(`${what} does not hold 32 bytes as 64 hex characters or base64.`)
  return key
}

/** Created once, readable by this user only, like the local agent's secret. */
function readOrCreateKeyFile(path: string): { key: Buffer; created: boolean } {
  const what = `The plugin secrets key file ${path}`
  if (existsSync(path)) return { key: parseSecretsKey(readFileSync(path, "utf8"), what), created: false }
  try {
    mkdirSync(dirname(path), { recursive: true })
    const key = randomBytes(32)
    writeFileSync(path, `${key.toString("base64")}\n`, { mode: 0o600, flag: "wx" })
    chmodSync(path, 0o600) // the umask may have taken bits away, never added: this is for clarity
    return { key, created: true }
  } catch (e) {
    // Another process on this DATA_DIR made it first: use theirs.
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return readOrCreateKeyFile(path)
    throw new SecretsKeyError(`Cannot create ${what}: ${(e as Error).message}`)
  }
}

/** Tells whether a key is the one the stored secrets were written with, without revealing anything of it. */
const checkOf = (key: Buffer) => createHmac("sha256", key).update("streamspace plugin secrets key check v1").digest("hex")

/** Secrets written under the key earlier versions kept in settings are encrypted again under `key`; that key goes. */
async function adoptLegacyKey(tx: Sql, key: Buffer): Promise<number> {
  const legacyHex = await getSetting<string>(tx, LEGACY_KEY_SETTING)
  if (legacyHex === null) return 0
  const legacy = Buffer.from(legacyHex, "hex")
  let moved = 0
  const rows = await tx<(SealedSecret & { installId: string; name: string })[]>`select install_id, name, iv, ciphertext, tag
    from plugin_secrets where owner = 'admin'`
  for (const row of rows) {
    const value = unseal(legacy, row.installId, "admin", row.name, row)
    if (value === null) continue // not written under the legacy key: left as it is
    const { iv, ciphertext, tag } = seal(key, row.installId, "admin", row.name, value)
    await tx`update plugin_secrets set iv = ${iv}, ciphertext = ${ciphertext}, tag = ${tag}
      where install_id = ${row.installId} and owner = 'admin' and name = ${row.name}`
    moved++
  }
  await deleteSetting(tx, LEGACY_KEY_SETTING)
  return moved
}

export interface SecretsKey {
  key: Buffer
  source: "env" | "file"
  /** The key file this start created (source "file"). */
  created: boolean
  /** Secrets moved from the key earlier versions kept in the database. */
  reencrypted: number
}

/**
 * The key from PLUGIN_SECRETS_KEY, else DATA_DIR/plugin-secrets.key (generated on first start). A key
 * other than the one the stored secrets were written with is refused here, at start, rather than
 * answering every plugin's secrets.get with a decryption failure.
 */
export async function loadSecretsKey(sql: RootSql, options: { configured?: string; dataDir: string }): Promise<SecretsKey> {
  const path = join(options.dataDir, SECRETS_KEY_FILE)
  const { key, created } = options.configured
    ? { key: parseSecretsKey(options.configured, "PLUGIN_SECRETS_KEY"), created: false }
    : readOrCreateKeyFile(path)
  const reencrypted = await sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(${KEY_LOCK})`
    const moved = await adoptLegacyKey(tx, key)
    const check = await getSetting<string>(tx, KEY_CHECK_SETTING)
    if (check !== null && check !== checkOf(key)) {
      const [stored] = await tx<{ count: number }[]>`select count(*)::int as count from plugin_secrets`
      // With nothing encrypted yet, a new key costs nothing: it simply becomes the key.
      if ((stored?.count ?? 0) > 0) {
        const which = options.configured ? "PLUGIN_SECRETS_KEY" : `The key in ${path}`
        throw new SecretsKeyError(
          `${which} is not the key the ${stored?.count} plugin secrets in this database were encrypted with. Start with the key they were written with (PLUGIN_SECRETS_KEY, the same on every replica); if it is lost, delete them (DELETE FROM plugin_secrets) and set them again.`,
        )
      }
    }
    await putSetting(tx, KEY_CHECK_SETTING, checkOf(key))
    return moved
  })
  return { key, source: options.configured ? "env" : "file", created, reencrypted }
}
