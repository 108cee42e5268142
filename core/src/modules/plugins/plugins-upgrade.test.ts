// Upgrading an install in place from the marketplace: same install, new bundle running, config and
// grant kept when they fit the new version and refused (naming the field) when they do not.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { MarketplaceEntry, PluginInstall, PluginManifest, Problem } from "@streamspace/schemas"
import { xtermTemplate } from "../../testing/templates.ts"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { upgradeFirstPartyPlugins } from "./first-party.ts"
import { probeBundle, probeManifest } from "./test-fixtures.ts"

const ID = "test.upgradable"
let core: TestCore
let admin: TestUser
let user: TestUser
let dir: string
let templateId: string

const sha256 = (text: string) => new Bun.CryptoHasher("sha256").update(text).digest("hex")
/** Version 2 answers with its own words, so a test sees which bundle the runtime runs. */
const deniesAs = (words: string) =>
  `export default { hooks: { "session.beforeCreate": async () => ({ allow: false, code: "PROBE", reason: ${JSON.stringify(words)} }) } }\n`

/** Writes the marketplace index with these versions of the plugin (the index is read on every call). */
async function listVersions(versions: { manifest: PluginManifest; bundle: string }[]) {
  const plugins = []
  for (const [i, v] of versions.entries()) {
    await Bun.write(join(dir, `v${i}`, "plugin.js"), v.bundle)
    plugins.push({ manifest: v.manifest, bundle: `v${i}/plugin.js`, sha256: sha256(v.bundle) })
  }
  await Bun.write(join(dir, "marketplace.json"), JSON.stringify({ plugins }))
}

const v1 = { manifest: probeManifest({ id: ID, version: "1.0.0" }), bundle: probeBundle(ID) }
const v2 = { manifest: probeManifest({ id: ID, version: "2.0.0" }), bundle: deniesAs("version 2") }
/** Asks for less (no secrets) and takes a narrower config. */
const v3 = {
  manifest: probeManifest({
    id: ID,
    version: "3.0.0",
    permissions: { kv: { quotaBytes: 256 }, sessions: "read" },
    configSchema: {
      type: "object",
      properties: { size: { type: "integer" } },
      additionalProperties: false,
    } as PluginManifest["configSchema"],
  }),
  bundle: deniesAs("version 3"),
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "streamspace-upgrade-"))
  await listVersions([v1])
  core = await startTestCore({ plugins: { marketplace: dir } })
  admin = await core.admin()
  user = await core.user("upgrade-user")
  templateId = await xtermTemplate(admin)
})
afterAll(async () => {
  await core.close()
  await rm(dir, { recursive: true, force: true })
})

const send = (who: TestUser, method: string, path: string, body?: unknown) =>
  who.fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
/** The refusal the plugin's hook answers a launch with: which bundle runs. */
const refusal = async () => {
  const res = await send(user, "POST", "/api/v1/sessions", { templateId })
  return ((await res.json()) as Problem).detail
}

describe("upgrading a plugin install from the marketplace", () => {
  test("the same install runs the new version with its config and grant; the marketplace shows what is installed", async () => {
    const installed = await send(admin, "POST", "/api/v1/plugins", {
      source: "marketplace",
      pluginId: ID,
      grant: v1.manifest.permissions,
      config: { action: "deny" },
    })
    expect(installed.status).toBe(201)
    const install = (await installed.json()) as PluginInstall
    expect(await refusal()).toBe(`denied by ${ID}`)

    await listVersions([v1, v2])
    const listed = (await (await send(admin, "GET", "/api/v1/plugins/marketplace")).json()) as MarketplaceEntry[]
    expect(listed.map((e) => [e.version, e.installedVersion])).toEqual([
      ["1.0.0", "1.0.0"],
      ["2.0.0", "1.0.0"],
    ])

    const upgraded = await send(admin, "POST", `/api/v1/plugins/${install.id}/upgrade`, {})
    expect(upgraded.status).toBe(200)
    const after = (await upgraded.json()) as PluginInstall
    expect(after).toMatchObject({ id: install.id, version: "2.0.0", config: { action: "deny" } })
    expect(after.permissions.granted).toEqual(v1.manifest.permissions)
    expect(await refusal()).toBe("version 2")

    await core.auditSettled()
    const [row] = await core.db.sql<{ detail: unknown; outcome: string }[]>`
      select detail, outcome from audit_events where action = 'plugin.upgrade' and target_id = ${install.id}`
    expect(row).toMatchObject({ outcome: "success", detail: { from: "1.0.0", to: "2.0.0" } })

    // The same bundle again is not an upgrade; an older version is there on request.
    const again = await send(admin, "POST", `/api/v1/plugins/${install.id}/upgrade`, {})
    expect(again.status).toBe(409)
    expect(((await again.json()) as Problem).code).toBe("PLUGIN_UP_TO_DATE")
    const back = await send(admin, "POST", `/api/v1/plugins/${install.id}/upgrade`, { version: "1.0.0" })
    expect(((await back.json()) as PluginInstall).version).toBe("1.0.0")
    expect(await refusal()).toBe(`denied by ${ID}`)
  })

  test("a grant or config the new version does not take is refused, naming the field, and nothing changes", async () => {
    const [install] = (await (await send(admin, "GET", "/api/v1/plugins")).json()) as PluginInstall[]
    await listVersions([v1, v2, v3])
    const tooMuch = await send(admin, "POST", `/api/v1/plugins/${install?.id}/upgrade`, { version: "3.0.0" })
    expect(tooMuch.status).toBe(422)
    expect(((await tooMuch.json()) as Problem).errors?.[0]?.field).toStartWith("/grant")
    const badConfig = await send(admin, "POST", `/api/v1/plugins/${install?.id}/upgrade`, {
      version: "3.0.0",
      grant: v3.manifest.permissions,
    })
    expect(badConfig.status).toBe(422)
    expect(((await badConfig.json()) as Problem).errors?.[0]?.field).toStartWith("/config")
    expect(await refusal()).toBe(`denied by ${ID}`)

    const fits = await send(admin, "POST", `/api/v1/plugins/${install?.id}/upgrade`, {
      version: "3.0.0",
      grant: v3.manifest.permissions,
      config: { size: 3 },
    })
    expect(fits.status).toBe(200)
    expect(await refusal()).toBe("version 3")
  })

  test("only admins upgrade; an unknown version is a 404", async () => {
    const [install] = (await (await send(admin, "GET", "/api/v1/plugins")).json()) as PluginInstall[]
    expect((await send(user, "POST", `/api/v1/plugins/${install?.id}/upgrade`, {})).status).toBe(403)
    expect((await send(admin, "POST", `/api/v1/plugins/${install?.id}/upgrade`, { version: "7.0.0" })).status).toBe(404)
  })
})

describe("first-party plugins follow the control plane's release at start", () => {
  const FIRST = "streamspace.fixture"
  const first = (version: string, words: string, permissions?: PluginManifest["permissions"]) => ({
    manifest: probeManifest({ id: FIRST, version, ...(permissions ? { permissions } : {}) }),
    bundle: deniesAs(words),
  })

  test("an older install is upgraded in place; one the new version does not fit keeps running and is reported", async () => {
    const [other] = (await (await send(admin, "GET", "/api/v1/plugins")).json()) as PluginInstall[]
    await send(admin, "DELETE", `/api/v1/plugins/${other?.id}`)
    await listVersions([first("1.0.0", "first 1")])
    const installed = (await (
      await send(admin, "POST", "/api/v1/plugins", {
        source: "marketplace",
        pluginId: FIRST,
        grant: probeManifest().permissions,
        config: { action: "deny" },
      })
    ).json()) as PluginInstall
    expect(await refusal()).toBe("first 1")
    expect(await upgradeFirstPartyPlugins(core.deps, core.plugins)).toEqual([])

    await listVersions([first("1.0.0", "first 1"), first("1.2.0", "first 1.2")])
    expect(await upgradeFirstPartyPlugins(core.deps, core.plugins)).toEqual([{ pluginId: FIRST, from: "1.0.0", to: "1.2.0" }])
    expect(await refusal()).toBe("first 1.2")
    const after = (await (await send(admin, "GET", `/api/v1/plugins/${installed.id}`)).json()) as PluginInstall
    expect(after).toMatchObject({ id: installed.id, version: "1.2.0", config: { action: "deny" } })

    // 2.0 asks for less than the install was granted: not forced, reported, and 1.2 keeps running.
    await listVersions([first("1.2.0", "first 1.2"), first("2.0.0", "first 2", { sessions: "read" })])
    const [refused] = await upgradeFirstPartyPlugins(core.deps, core.plugins)
    expect(refused).toMatchObject({ pluginId: FIRST, from: "1.2.0", to: "2.0.0", refused: expect.any(String) })
    expect(await refusal()).toBe("first 1.2")
  })
})
