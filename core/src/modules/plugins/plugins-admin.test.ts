import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import type { PluginInstall, PluginInstallDetail, Problem } from "@streamspace/schemas"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { probeBundle, probeManifest, upload } from "./test-fixtures.ts"

let core: TestCore
let admin: TestUser
let templateId: string

beforeAll(async () => {
  core = await startTestCore({ plugins: true })
  admin = await core.admin()
  const { data } = await admin.api.templates.post({
    name: "xterm",
    displayName: "XTerm",
    category: "Development",
    image: "streamspace/desktop:latest",
    resources: { cpu: 1, memory: 512 },
  })
  templateId = data?.id as string
})
afterAll(() => core.close())

const send = (method: string, path: string, body?: unknown) =>
  admin.fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const install = async (body: unknown): Promise<PluginInstall> => {
  const res = await send("POST", "/api/v1/plugins", body)
  expect(res.status).toBe(201)
  return (await res.json()) as PluginInstall
}
const fullGrant = probeManifest().permissions

/** What the probe plugin reports from its host calls, through POST /sessions. */
const probe = async (user: TestUser) => {
  const res = await user.fetch("/api/v1/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ templateId }),
  })
  return { status: res.status, body: (await res.json()) as Problem }
}

describe("installing a plugin", () => {
  test("an install must name what it grants; the refusal lists what the plugin asks for", async () => {
    const res = await send("POST", "/api/v1/plugins", upload(probeManifest({ id: "test.grant-required" })))
    expect(res.status).toBe(422)
    expect(res.headers.get("content-type")).toContain("application/problem+json")
    const problem = (await res.json()) as Problem
    expect(problem.code).toBe("PLUGIN_GRANT_REQUIRED")
    expect(problem.detail).toContain("sessions: read; kv: 256 bytes; secrets: apiToken")
    expect(problem.errors).toEqual([{ field: "/grant", message: "is required" }])
  })

  test("granting more than the plugin asks for is refused with the permission named", async () => {
    const bigger = await send("POST", "/api/v1/plugins", {
      ...upload(probeManifest({ id: "test.grant-more" })),
      grant: { ...fullGrant, kv: { quotaBytes: 1024 } },
    })
    expect(bigger.status).toBe(422)
    const problem = (await bigger.json()) as Problem
    expect(problem.code).toBe("PLUGIN_GRANT_EXCEEDS_REQUEST")
    expect(problem.errors?.[0]?.field).toBe("/grant/kv")
    const unasked = await send("POST", "/api/v1/plugins", {
      ...upload(probeManifest({ id: "test.grant-more" })),
      grant: { crypto: true },
    })
    expect(((await unasked.json()) as Problem).errors?.[0]?.field).toBe("/grant/crypto")
  })

  test("an upload installs, shows requested and granted permissions, runs, and is audited", async () => {
    const installed = await install({
      ...upload(probeManifest({ id: "test.upload" })),
      grant: { sessions: "read" },
      enabled: false,
    })
    expect(installed.permissions).toEqual({ requested: fullGrant, granted: { sessions: "read" } })
    expect(installed.status).toBe("stopped")
    expect(installed.bundleSha256).toBe(new Bun.CryptoHasher("sha256").update(probeBundle("test.upload")).digest("hex"))
    expect(installed.config).toEqual({ action: "allow", size: 10 }) // the schema's defaults
    const enabled = (await (await send("POST", `/api/v1/plugins/${installed.id}/enable`)).json()) as PluginInstall
    expect(enabled.status).toBe("running")
    await core.auditSettled()
    const [row] = await core.db.sql`select action, target_id, detail from audit_events where action = 'plugin.install'
      and target_id = ${installed.id}`
    expect(row?.detail).toMatchObject({ pluginId: "test.upload", source: "upload", granted: { sessions: "read" } })
    expect((await send("DELETE", `/api/v1/plugins/${installed.id}`)).status).toBe(204)
  })

  test("a bundle whose sha256 is not the one sent is refused", async () => {
    const res = await send("POST", "/api/v1/plugins", {
      ...upload(probeManifest({ id: "test.bad-hash" })),
      sha256: "0".repeat(64),
      grant: {},
    })
    expect(res.status).toBe(422)
    expect(((await res.json()) as Problem).code).toBe("PLUGIN_BUNDLE_HASH_MISMATCH")
  })

  test("an invalid manifest is refused with the field named", async () => {
    const res = await send("POST", "/api/v1/plugins", {
      ...upload({ ...probeManifest(), id: "Not Valid" }),
      grant: {},
    })
    expect(res.status).toBe(422)
    const problem = (await res.json()) as Problem
    expect(problem.code).toBe("PLUGIN_MANIFEST_INVALID")
    expect(problem.errors?.[0]?.field).toBe("/manifest/id")
  })

  test("only admins manage plugins", async () => {
    const user = await core.user("plain-user")
    expect((await user.fetch("/api/v1/plugins")).status).toBe(403)
    const res = await user.fetch("/api/v1/plugins", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...upload(), grant: {} }),
    })
    expect(res.status).toBe(403)
  })
})

describe("configuring, enabling and uninstalling", () => {
  test("config is validated against the configSchema and the failing field is named", async () => {
    const bad = await send("POST", "/api/v1/plugins", {
      ...upload(probeManifest({ id: "test.config" })),
      grant: {},
      config: { size: 0 },
    })
    expect(bad.status).toBe(422)
    const problem = (await bad.json()) as Problem
    expect(problem.code).toBe("PLUGIN_CONFIG_INVALID")
    expect(problem.errors?.[0]).toEqual({ field: "/config/size", message: "must be >= 1" })

    const installed = await install({ ...upload(probeManifest({ id: "test.config" })), grant: {}, enabled: false })
    const nested = await send("PATCH", `/api/v1/plugins/${installed.id}`, { config: { limits: { max: "ten" } } })
    expect(((await nested.json()) as Problem).errors?.[0]?.field).toBe("/config/limits/max")
    const unknown = await send("PATCH", `/api/v1/plugins/${installed.id}`, { config: { colour: "red" } })
    expect(((await unknown.json()) as Problem).errors?.[0]?.field).toBe("/config/colour")
    const ok = await send("PATCH", `/api/v1/plugins/${installed.id}`, { config: { limits: { max: 3 } }, priority: 5 })
    expect(ok.status).toBe(200)
    expect((await ok.json()) as PluginInstall).toMatchObject({
      config: { action: "allow", size: 10, limits: { max: 3 } },
      priority: 5,
    })
    expect((await send("DELETE", `/api/v1/plugins/${installed.id}`)).status).toBe(204)
  })

  test("a disabled plugin is not asked; enabled again it decides; uninstalled its data is gone", async () => {
    const installed = await install({
      ...upload(probeManifest({ id: "test.lifecycle" })),
      grant: fullGrant,
      config: { action: "kv", size: 20 },
    })
    expect(installed.status).toBe("running")
    const user = await core.user("lifecycle-user")
    expect((await probe(user)).body.detail).toBe(`ok "${"x".repeat(20)}"`)

    const disabled = (await (await send("POST", `/api/v1/plugins/${installed.id}/disable`)).json()) as PluginInstall
    expect(disabled).toMatchObject({ enabled: false, status: "stopped" })
    expect((await probe(user)).status).toBe(201)

    const enabled = (await (await send("POST", `/api/v1/plugins/${installed.id}/enable`)).json()) as PluginInstall
    expect(enabled).toMatchObject({ enabled: true, status: "running" })
    expect((await probe(user)).status).toBe(403)

    expect((await send("DELETE", `/api/v1/plugins/${installed.id}`)).status).toBe(204)
    expect((await send("GET", `/api/v1/plugins/${installed.id}`)).status).toBe(404)
    const [left] = await core.db.sql`select
        (select count(*)::int from plugin_kv where install_id = ${installed.id}) as kv,
        (select count(*)::int from plugin_bundles where sha256 = ${installed.bundleSha256}) as bundles`
    expect(left).toEqual({ kv: 0, bundles: 0 })
    expect((await probe(user)).status).toBe(201)
  })

  test("an install's detail shows the CPU time, heap and calls the runtime measured for it", async () => {
    const installed = await install({ ...upload(probeManifest({ id: "test.usage" })), grant: fullGrant })
    const before = (await (await send("GET", `/api/v1/plugins/${installed.id}`)).json()) as PluginInstallDetail
    expect(before.usage?.calls).toBe(0)
    const user = await core.user("usage-user")
    for (let i = 0; i < 3; i++) expect((await probe(user)).status).toBe(201)
    const after = (await (await send("GET", `/api/v1/plugins/${installed.id}`)).json()) as PluginInstallDetail
    expect(after.usage?.calls).toBe(3)
    expect(after.usage?.cpuTimeMs).toBeGreaterThan(0)
    expect(after.usage?.heapUsedBytes).toBeGreaterThan(0)
    await send("POST", `/api/v1/plugins/${installed.id}/disable`)
    const disabled = (await (await send("GET", `/api/v1/plugins/${installed.id}`)).json()) as PluginInstallDetail
    expect(disabled.usage).toBeNull()
    expect((await send("DELETE", `/api/v1/plugins/${installed.id}`)).status).toBe(204)
  })

  test("installs are asked in priority order and the first refusal decides", async () => {
    const first = await install({
      ...upload(probeManifest({ id: "test.first" })),
      grant: {},
      config: { action: "deny" },
      priority: 10,
    })
    const second = await install({
      ...upload(probeManifest({ id: "test.second" })),
      grant: {},
      config: { action: "deny" },
      priority: 20,
    })
    const user = await core.user("priority-user")
    expect((await probe(user)).body.detail).toBe("denied by test.first")
    await send("PATCH", `/api/v1/plugins/${first.id}`, { priority: 30 })
    expect((await probe(user)).body.detail).toBe("denied by test.second")
    await send("DELETE", `/api/v1/plugins/${first.id}`)
    await send("DELETE", `/api/v1/plugins/${second.id}`)
  })

  test("installing the same plugin twice is a conflict", async () => {
    const installed = await install({ ...upload(probeManifest({ id: "test.twice" })), grant: {}, enabled: false })
    const again = await send("POST", "/api/v1/plugins", { ...upload(probeManifest({ id: "test.twice" })), grant: {} })
    expect(again.status).toBe(409)
    expect(((await again.json()) as Problem).code).toBe("PLUGIN_ALREADY_INSTALLED")
    await send("DELETE", `/api/v1/plugins/${installed.id}`)
  })
})

describe("kv and secrets through the host", () => {
  test("kv refuses a write past the granted quota, which may be smaller than the one asked for", async () => {
    const installed = await install({
      ...upload(probeManifest({ id: "test.kv" })),
      grant: fullGrant,
      config: { action: "kv", size: 200 },
    })
    const user = await core.user("kv-user")
    expect((await probe(user)).body.detail).toBe(`ok "${"x".repeat(200)}"`)
    await send("PATCH", `/api/v1/plugins/${installed.id}`, { config: { action: "kv", size: 300 } })
    expect((await probe(user)).body.detail).toBe("HOST_QUOTA_EXCEEDED: kv would hold 306 bytes; this install's quota is 256.")
    await send("PATCH", `/api/v1/plugins/${installed.id}`, {
      grant: { kv: { quotaBytes: 100 } },
      config: { action: "kv", size: 200 },
    })
    expect((await probe(user)).body.detail).toBe("HOST_QUOTA_EXCEEDED: kv would hold 206 bytes; this install's quota is 100.")
    const [row] = await core.db.sql`select size, value from plugin_kv where install_id = ${installed.id} and key = 'blob'`
    expect(row).toEqual({ size: 206, value: "x".repeat(200) }) // the refused writes changed nothing
    await send("DELETE", `/api/v1/plugins/${installed.id}`)
  })

  test("a secret is write-only through the API, encrypted in the database, and readable by the plugin", async () => {
    const installed = await install({
      ...upload(probeManifest({ id: "test.secret" })),
      grant: fullGrant,
      config: { action: "secret" },
    })
    const value = "s3cret-value-that-must-not-leak"
    expect((await send("PUT", `/api/v1/plugins/${installed.id}/secrets/apiToken`, { value })).status).toBe(204)
    const detail = await send("GET", `/api/v1/plugins/${installed.id}`)
    const text = await detail.text()
    expect(text).not.toContain(value)
    expect(JSON.parse(text).secrets.map((s: { name: string }) => s.name)).toEqual(["apiToken"])
    expect(await (await send("GET", "/api/v1/plugins")).text()).not.toContain(value)

    const [raw] = await core.db.sql`select iv, ciphertext, tag from plugin_secrets where install_id = ${installed.id}`
    const stored = Buffer.concat([raw?.iv, raw?.ciphertext, raw?.tag])
    expect(stored.includes(Buffer.from(value))).toBe(false)
    expect(raw?.ciphertext.length).toBe(Buffer.byteLength(value))
    await core.auditSettled()
    const audits = await core.db.sql`select detail::text as d from audit_events where action = 'plugin.secret.set'`
    expect(audits.some((a) => String(a.d).includes(value))).toBe(false)

    const user = await core.user("secret-user")
    expect((await probe(user)).body.detail).toBe(`ok "${value}"`)

    const unknown = await send("PUT", `/api/v1/plugins/${installed.id}/secrets/otherToken`, { value })
    expect(unknown.status).toBe(422)
    expect(((await unknown.json()) as Problem).code).toBe("PLUGIN_SECRET_UNKNOWN")

    await send("PATCH", `/api/v1/plugins/${installed.id}`, { grant: { kv: { quotaBytes: 256 } } })
    expect((await probe(user)).body.detail).toStartWith(
      'HOST_PERMISSION_DENIED: This install was not granted the secret "apiToken"',
    )
    await send("DELETE", `/api/v1/plugins/${installed.id}`)
  })
})
