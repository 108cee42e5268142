// The key of plugin secrets on a real database: from PLUGIN_SECRETS_KEY or a 0600 file in DATA_DIR, checked against what is stored.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test"
import { randomBytes } from "node:crypto"
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { Database } from "../../infra/db/connect.ts"
import { migrate } from "../../infra/db/migrate.ts"
import { getSetting, putSetting } from "../settings/repo.ts"
import * as repo from "./repo.ts"
import { loadSecretsKey, parseSecretsKey, SECRETS_KEY_FILE, SecretsKeyError } from "./secrets-key.ts"
import { putSecret, readSecret } from "./secrets.ts"
import { openTestDatabase } from "../../testing/test-database.ts"
import { probeBundle, probeManifest } from "./test-fixtures.ts"

let db: Database
let installId: string
let dataDir: string

beforeAll(async () => {
  db = await openTestDatabase()
  await migrate(db.sql)
  const manifest = probeManifest({ id: "test.secrets-key" })
  const bundle = probeBundle(manifest.id)
  const sha256 = new Bun.CryptoHasher("sha256").update(bundle).digest("hex")
  await repo.putBundle(db.sql, { sha256, manifest, bundle })
  installId = (await repo.insertInstall(db.sql, {
    pluginId: manifest.id,
    version: manifest.version,
    bundleSha256: sha256,
    config: {},
    granted: {},
    enabled: false,
    priority: 100,
  })) as string
})
afterAll(() => db.close())
/** Each test starts from a database with no secret and no key check, and an empty DATA_DIR. */
afterEach(async () => {
  await db.sql`delete from plugin_secrets`
  await db.sql`delete from settings where key like 'plugins.secretsKey%'`
  rmSync(dataDir, { recursive: true, force: true })
})
const freshDataDir = () => {
  dataDir = mkdtempSync(join(tmpdir(), "streamspace-key-"))
  return dataDir
}

const refusal = async (run: Promise<unknown>): Promise<string> => {
  try {
    await run
  } catch (e) {
    expect(e).toBeInstanceOf(SecretsKeyError)
    return (e as Error).message
  }
  throw new Error("the key was accepted")
}

describe("the plugin secrets key", () => {
  test("PLUGIN_SECRETS_KEY is used as given, in hex or base64, and no key file is written", async () => {
    const bytes = randomBytes(32)
    const dir = freshDataDir()
    const fromHex = await loadSecretsKey(db.sql, { configured: bytes.toString("hex"), dataDir: dir })
    expect(fromHex).toMatchObject({ source: "env", created: false })
    expect(fromHex.key.equals(bytes)).toBe(true)
    const fromBase64 = await loadSecretsKey(db.sql, { configured: bytes.toString("base64"), dataDir: dir })
    expect(fromBase64.key.equals(bytes)).toBe(true)
    expect(parseSecretsKey(bytes.toString("base64url"), "k").equals(bytes)).toBe(true)
    expect(existsSync(join(dir, SECRETS_KEY_FILE))).toBe(false)
    expect(() => parseSecretsKey("ab".repeat(31), "PLUGIN_SECRETS_KEY")).toThrow(
      "PLUGIN_SECRETS_KEY does not hold 32 bytes as 64 hex characters or base64.",
    )
  })

  test("unset, a key is generated into DATA_DIR readable by its owner only, and the next start uses it again", async () => {
    const dir = join(freshDataDir(), "nested")
    const first = await loadSecretsKey(db.sql, { dataDir: dir })
    expect(first).toMatchObject({ source: "file", created: true })
    const path = join(dir, SECRETS_KEY_FILE)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(parseSecretsKey(readFileSync(path, "utf8"), "file").equals(first.key)).toBe(true)
    await putSecret(db.sql, first.key, installId, "plugin", "own.token", "kept-across-restarts")

    const restarted = await loadSecretsKey(db.sql, { dataDir: dir })
    expect(restarted.created).toBe(false)
    expect(restarted.key.equals(first.key)).toBe(true)
    expect(await readSecret(db.sql, restarted.key, installId, "plugin", "own.token")).toBe("kept-across-restarts")
    // The database holds no key, only a check that reveals nothing of it.
    const settings = await db.sql`select key, value::text as value from settings where key like 'plugins.%'`
    expect(settings.map((s) => s.key)).toEqual(["plugins.secretsKeyCheck"])
    for (const encoding of ["hex", "base64", "base64url"] as const)
      expect(String(settings[0]?.value)).not.toContain(first.key.toString(encoding))
  })

  test("a key other than the one the stored secrets were written with stops start-up with what to do", async () => {
    const dir = freshDataDir()
    const first = await loadSecretsKey(db.sql, { configured: randomBytes(32).toString("hex"), dataDir: dir })
    await putSecret(db.sql, first.key, installId, "admin", "apiToken", "v")
    const message = await refusal(loadSecretsKey(db.sql, { configured: randomBytes(32).toString("hex"), dataDir: dir }))
    expect(message).toStartWith("PLUGIN_SECRETS_KEY is not the key the 1 plugin secrets in this database were encrypted with.")
    expect(message).toContain("DELETE FROM plugin_secrets")
    expect(message).not.toContain(first.key.toString("hex"))
    // A generated key file that is not that key is refused the same way, naming the file.
    const fromFile = await refusal(loadSecretsKey(db.sql, { dataDir: dir }))
    expect(fromFile).toStartWith(`The key in ${join(dir, SECRETS_KEY_FILE)} is not the key the 1 plugin secrets`)
    // The right key still starts; and once nothing is encrypted, a new key simply becomes the key.
    await loadSecretsKey(db.sql, { configured: first.key.toString("hex"), dataDir: dir })
    await db.sql`delete from plugin_secrets`
    expect((await loadSecretsKey(db.sql, { dataDir: dir })).source).toBe("file")
  })

  test("a key file that does not hold a key is refused with its path", async () => {
    const dir = freshDataDir()
    writeFileSync(join(dir, SECRETS_KEY_FILE), "not a key\n", { mode: 0o600 })
    expect(await refusal(loadSecretsKey(db.sql, { dataDir: dir }))).toBe(
      `The plugin secrets key file ${join(dir, SECRETS_KEY_FILE)} does not hold 32 bytes as 64 hex characters or base64.`,
    )
  })

  test("the key earlier versions generated into the database is moved off it: its secrets are encrypted again", async () => {
    const legacy = randomBytes(32)
    await putSetting(db.sql, "plugins.secretsKey", legacy.toString("hex"))
    await putSecret(db.sql, legacy, installId, "admin", "apiToken", "written-by-an-earlier-version")
    const loaded = await loadSecretsKey(db.sql, { dataDir: freshDataDir() })
    expect(loaded.reencrypted).toBe(1)
    expect(await getSetting(db.sql, "plugins.secretsKey")).toBeNull()
    expect(await readSecret(db.sql, loaded.key, installId, "admin", "apiToken")).toBe("written-by-an-earlier-version")
    await expect(readSecret(db.sql, legacy, installId, "admin", "apiToken")).rejects.toThrow("cannot be decrypted")
  })
})
