import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { cp, mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { MarketplaceEntry, PluginInstall, Problem } from "@streamspace/schemas"
import { buildPlugin } from "@streamspace/sdk/plugin/build"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { readMarketplace } from "./marketplace.ts"
import { PROBE_BUNDLE, probeManifest } from "./test-fixtures.ts"

const QUOTAS = join(import.meta.dir, "..", "..", "..", "..", "plugins", "quotas")

let core: TestCore
let admin: TestUser
let marketplaceDir: string
let templateId: string

/** A marketplace directory like the first-party one: the quotas plugin built by the SDK, and a tampered entry. */
async function makeMarketplace(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "streamspace-marketplace-"))
  const quotas = await buildPlugin(join(QUOTAS, "src", "plugin.ts"))
  await cp(join(QUOTAS, "manifest.json"), join(dir, "quotas", "manifest.json"), { recursive: true })
  await Bun.write(join(dir, "quotas", "plugin.js"), quotas.code)
  await Bun.write(join(dir, "tampered", "plugin.js"), `${PROBE_BUNDLE}// changed after the index was written\n`)
  const tampered = probeManifest({ id: "test.tampered" })
  await Bun.write(
    join(dir, "marketplace.json"),
    JSON.stringify({
      plugins: [
        { manifest: "quotas/manifest.json", bundle: "quotas/plugin.js", sha256: quotas.sha256 },
        {
          manifest: tampered,
          bundle: "tampered/plugin.js",
          sha256: new Bun.CryptoHasher("sha256").update(PROBE_BUNDLE).digest("hex"),
        },
      ],
    }),
  )
  return dir
}

beforeAll(async () => {
  marketplaceDir = await makeMarketplace()
  core = await startTestCore({ plugins: { marketplace: marketplaceDir } })
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
afterAll(async () => {
  await core.close()
  await rm(marketplaceDir, { recursive: true, force: true })
})

const send = (method: string, path: string, body?: unknown) =>
  admin.fetch(path, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  })

const launch = (user: TestUser) =>
  user.fetch("/api/v1/sessions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ templateId }),
  })

describe("the local marketplace", () => {
  test("lists its plugins with what each asks for", async () => {
    const res = await send("GET", "/api/v1/plugins/marketplace")
    expect(res.status).toBe(200)
    const entries = (await res.json()) as MarketplaceEntry[]
    expect(entries.map((e) => [e.pluginId, e.permissions, e.installed])).toEqual([
      ["streamspace.quotas", { sessions: "read" }, false],
      ["test.tampered", probeManifest().permissions, false],
    ])
  })

  test("a bundle whose bytes do not match the index's sha256 is refused and not installed", async () => {
    const res = await send("POST", "/api/v1/plugins", { source: "marketplace", pluginId: "test.tampered", grant: {} })
    expect(res.status).toBe(422)
    const problem = (await res.json()) as Problem
    expect(problem.code).toBe("PLUGIN_BUNDLE_HASH_MISMATCH")
    expect(problem.detail).toContain("but the marketplace lists")
    const installs = (await (await send("GET", "/api/v1/plugins")).json()) as PluginInstall[]
    expect(installs.some((i) => i.pluginId === "test.tampered")).toBe(false)
  })

  test("a plugin it does not list is a 404; without an index the marketplace is unavailable", async () => {
    const res = await send("POST", "/api/v1/plugins", { source: "marketplace", pluginId: "example.nothing", grant: {} })
    expect(res.status).toBe(404)
    await expect(readMarketplace(undefined)).rejects.toThrow("No marketplace is configured")
    await expect(readMarketplace(join(marketplaceDir, "missing.json"))).rejects.toThrow("does not exist")
  })
})

describe("the quotas plugin from the marketplace", () => {
  let quotas: PluginInstall
  let alice: TestUser

  test("installs once its permissions are granted, with its config defaults", async () => {
    const asked = await send("POST", "/api/v1/plugins", { source: "marketplace", pluginId: "streamspace.quotas" })
    expect(asked.status).toBe(422)
    expect(((await asked.json()) as Problem).detail).toContain("asks for sessions: read")
    const res = await send("POST", "/api/v1/plugins", {
      source: "marketplace",
      pluginId: "streamspace.quotas",
      grant: { sessions: "read" },
    })
    expect(res.status).toBe(201)
    quotas = (await res.json()) as PluginInstall
    expect(quotas).toMatchObject({
      pluginId: "streamspace.quotas",
      status: "running",
      permissions: { granted: { sessions: "read" } },
    })
    expect(quotas.config).toEqual({ defaults: { sessions: 2, cpu: 4, memory: 8192 }, roles: {}, users: {} })
  })

  test("the third session is refused with problem+json naming the limit and the usage", async () => {
    alice = await core.user("alice")
    expect((await launch(alice)).status).toBe(201)
    expect((await launch(alice)).status).toBe(201)
    const third = await launch(alice)
    expect(third.status).toBe(409)
    expect(third.headers.get("content-type")).toContain("application/problem+json")
    expect(await third.json()).toMatchObject({
      status: 409,
      code: "QUOTA_EXCEEDED",
      detail: "You already use 2 of 2 running sessions. Stop a session and try again.",
    })
    const { data } = await alice.api.sessions.get({ query: {} })
    expect(data?.total).toBe(2)
  })

  test("a per-user override lets that user start a third session, and nobody else", async () => {
    const bad = await send("PATCH", `/api/v1/plugins/${quotas.id}`, { config: { users: { alice: { sessions: -1 } } } })
    expect(bad.status).toBe(422)
    expect(((await bad.json()) as Problem).errors?.[0]?.field).toBe("/config/users/alice/sessions")

    const ok = await send("PATCH", `/api/v1/plugins/${quotas.id}`, { config: { users: { alice: { sessions: 3 } } } })
    expect(ok.status).toBe(200)
    expect((await launch(alice)).status).toBe(201)
    const fourth = await launch(alice)
    expect(((await fourth.json()) as Problem).detail).toBe(
      "You already use 3 of 3 running sessions. Stop a session and try again.",
    )

    const bob = await core.user("bob")
    await launch(bob)
    await launch(bob)
    expect((await launch(bob)).status).toBe(409)
  })
})
