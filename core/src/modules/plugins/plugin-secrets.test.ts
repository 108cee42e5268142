// A plugin's own secrets (host:api secrets.set/get/delete) on the real core: encrypted in the database, bound to install and name.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { randomBytes } from "node:crypto"
import type { PluginInstall, PluginInstallDetail, PluginPermissions, Problem } from "@streamspace/schemas"
import { xtermTemplate } from "../../testing/templates.ts"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { readSecret } from "./secrets.ts"
import { probeManifest, upload } from "./test-fixtures.ts"

let core: TestCore
let admin: TestUser
let templateId: string

beforeAll(async () => {
  core = await startTestCore({ plugins: true })
  admin = await core.admin()
  templateId = await xtermTemplate(admin)
})
afterAll(() => core.close())

const send = (method: string, path: string, body?: unknown) =>
  admin.fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
const fullGrant = probeManifest().permissions

const install = async (id: string, grant: PluginPermissions = fullGrant): Promise<PluginInstall> => {
  const res = await send("POST", "/api/v1/plugins", { ...upload(probeManifest({ id })), grant })
  expect(res.status).toBe(201)
  return (await res.json()) as PluginInstall
}

/** Runs one probe action with the given config (the plugin reloads) and answers its report: `ok <json>` or `CODE: message`. */
const run = async (installed: PluginInstall, config: Record<string, unknown>, user: TestUser): Promise<string | undefined> => {
  expect((await send("PATCH", `/api/v1/plugins/${installed.id}`, { config })).status).toBe(200)
  const res = await user.fetch("/api/v1/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ templateId }),
  })
  return ((await res.json()) as Problem).detail
}

describe("a plugin's own secrets", () => {
  test("are set and read back by the plugin, stored encrypted, and not shown to the admin", async () => {
    const installed = await install("test.own-secret")
    const user = await core.user("own-secret-user")
    const value = "whsec_plain-text-that-must-not-be-in-the-database"
    expect(await run(installed, { action: "own-set", name: "own.token", value }, user)).toBe(`ok "${value}"`)
    expect(await run(installed, { action: "own-get", name: "own.token" }, user)).toBe(`ok "${value}"`)

    const rows = await core.db.sql`select owner, name, iv, ciphertext, tag from plugin_secrets where install_id = ${installed.id}`
    expect(rows.map((r) => [r.owner, r.name])).toEqual([["plugin", "own.token"]])
    const stored = Buffer.concat([rows[0]?.iv, rows[0]?.ciphertext, rows[0]?.tag])
    expect(stored.includes(Buffer.from(value))).toBe(false)
    expect(stored.includes(Buffer.from("plain-text-that-must-not"))).toBe(false)
    const [dump] = await core.db.sql`select string_agg(t::text, ' ') as text from plugin_secrets t`
    expect(String(dump?.text)).not.toContain("plain-text-that-must-not")

    const detail = (await (await send("GET", `/api/v1/plugins/${installed.id}`)).json()) as PluginInstallDetail
    expect(detail.secrets).toEqual([]) // the admin's secrets only
    expect((await send("DELETE", `/api/v1/plugins/${installed.id}/secrets/own.token`)).status).toBe(404)

    expect(await run(installed, { action: "own-delete", name: "own.token" }, user)).toBe("ok true")
    expect(await run(installed, { action: "own-get", name: "own.token" }, user)).toBe("ok null")
    expect(await run(installed, { action: "own-delete", name: "own.token" }, user)).toBe("ok false")
    await send("DELETE", `/api/v1/plugins/${installed.id}`)
  })

  test("past the grant's maxSecrets a new name is refused; replacing one is not one more; values are capped at 4 KiB", async () => {
    const installed = await install("test.own-limits")
    const user = await core.user("own-limits-user")
    expect(await run(installed, { action: "own-set", name: "a", value: "1" }, user)).toBe('ok "1"')
    expect(await run(installed, { action: "own-set", name: "b", value: "2" }, user)).toBe('ok "2"')
    expect(await run(installed, { action: "own-set", name: "a", value: "3" }, user)).toBe('ok "3"')
    expect(await run(installed, { action: "own-set", name: "c", value: "4" }, user)).toBe(
      "HOST_QUOTA_EXCEEDED: This install keeps 2 secrets already; its grant allows 2.",
    )
    expect(await run(installed, { action: "own-set", name: "a", value: "x".repeat(4097) }, user)).toStartWith(
      "HOST_BAD_ARGUMENTS: secrets.set: argument /1",
    )
    // A grant narrower than the request counts.
    await send("PATCH", `/api/v1/plugins/${installed.id}`, { grant: { ...fullGrant, secretStore: { maxSecrets: 1 } } })
    expect(await run(installed, { action: "own-delete", name: "b" }, user)).toBe("ok true")
    expect(await run(installed, { action: "own-set", name: "b", value: "5" }, user)).toStartWith("HOST_QUOTA_EXCEEDED")
    await send("DELETE", `/api/v1/plugins/${installed.id}`)
  })

  test("without a secretStore grant the plugin can neither set, read nor delete one, nor write an admin's secret", async () => {
    const { secretStore: _, ...withoutStore } = fullGrant
    const installed = await install("test.own-denied", withoutStore)
    const user = await core.user("own-denied-user")
    expect(await run(installed, { action: "own-set", name: "own.token", value: "v" }, user)).toStartWith(
      'HOST_PERMISSION_DENIED: This install was not granted "secretStore"',
    )
    expect(await run(installed, { action: "own-get", name: "own.token" }, user)).toStartWith("HOST_PERMISSION_DENIED")
    expect(await run(installed, { action: "own-delete", name: "own.token" }, user)).toStartWith("HOST_PERMISSION_DENIED")
    await send("PATCH", `/api/v1/plugins/${installed.id}`, { grant: fullGrant })
    expect(await run(installed, { action: "own-set", name: "apiToken", value: "v" }, user)).toStartWith(
      'HOST_PERMISSION_DENIED: The secret "apiToken" is set by an admin',
    )
    const [count] = await core.db.sql`select count(*)::int as n from plugin_secrets where install_id = ${installed.id}`
    expect(count?.n).toBe(0)
    await send("DELETE", `/api/v1/plugins/${installed.id}`)
  })

  test("a ciphertext copied to another install or another name does not decrypt, nor under another key", async () => {
    const [a, b] = [await install("test.own-copy-a"), await install("test.own-copy-b")]
    const user = await core.user("own-copy-user")
    expect(await run(a, { action: "own-set", name: "own.token", value: "only-for-a" }, user)).toBe('ok "only-for-a"')
    await core.db.sql`insert into plugin_secrets (install_id, owner, name, iv, ciphertext, tag)
      select ${b.id}, owner, name, iv, ciphertext, tag from plugin_secrets where install_id = ${a.id} and name = 'own.token'`
    await core.db.sql`insert into plugin_secrets (install_id, owner, name, iv, ciphertext, tag)
      select install_id, owner, 'own.copy', iv, ciphertext, tag from plugin_secrets where install_id = ${a.id} and name = 'own.token'`
    await core.db.sql`insert into plugin_secrets (install_id, owner, name, iv, ciphertext, tag)
      select install_id, 'admin', 'apiToken', iv, ciphertext, tag from plugin_secrets where install_id = ${a.id} and name = 'own.token'`
    const refused = "HOST_CALL_FAILED: The secret own.token cannot be decrypted"
    expect(await run(a, { action: "own-get", name: "own.copy" }, user)).toStartWith(refused.replace("own.token", "own.copy"))
    expect(await run(a, { action: "secret" }, user)).toStartWith(refused.replace("own.token", "apiToken"))
    expect(await run(a, { action: "own-get", name: "own.token" }, user)).toBe('ok "only-for-a"') // the original still does
    await run(a, { action: "allow" }, user) // the first install to refuse answers: now b's turn
    expect(await run(b, { action: "own-get", name: "own.token" }, user)).toStartWith(refused)
    await expect(readSecret(core.db.sql, randomBytes(32), a.id, "plugin", "own.token")).rejects.toThrow(
      "cannot be decrypted with this control plane's PLUGIN_SECRETS_KEY",
    )
    await send("DELETE", `/api/v1/plugins/${a.id}`)
    await send("DELETE", `/api/v1/plugins/${b.id}`)
  })

  test("uninstalling a plugin removes its secrets, its own and the admin's", async () => {
    const installed = await install("test.own-uninstall")
    const user = await core.user("own-uninstall-user")
    expect(await run(installed, { action: "own-set", name: "own.token", value: "v" }, user)).toBe('ok "v"')
    expect((await send("PUT", `/api/v1/plugins/${installed.id}/secrets/apiToken`, { value: "w" })).status).toBe(204)
    const count = async () =>
      (await core.db.sql`select count(*)::int as n from plugin_secrets where install_id = ${installed.id}`)[0]?.n
    expect(await count()).toBe(2)
    expect((await send("DELETE", `/api/v1/plugins/${installed.id}`)).status).toBe(204)
    expect(await count()).toBe(0)
  })
})
