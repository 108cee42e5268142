// API keys through the real app: the secret shown once and stored hashed, listing, revocation, last use.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createHash } from "node:crypto"
import { startTestCore, type TestCore } from "../../testing/test-core.ts"

let core: TestCore

const withKey = (secret: string) => ({ headers: { authorization: `Bearer ${secret}` } })
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex")

beforeAll(async () => {
  core = await startTestCore()
})
afterAll(() => core.close())

describe("API keys", () => {
  test("a user creates a key: the secret is in the response once and only its hash is stored", async () => {
    const ann = await core.user("ann-keys")
    const { data, status } = await ann.api["api-keys"].post({ name: "ci", expiresInDays: 30 })
    expect(status).toBe(201)
    const secret = data?.secret as string
    expect(secret).toStartWith("ssk_")
    expect(data?.prefix).toBe(secret.slice(0, 10))
    expect(data?.userId).toBe(ann.user.id)
    const days = (Date.parse(data?.expiresAt as string) - Date.now()) / 86_400_000
    expect(days).toBeGreaterThan(29.9)
    expect(days).toBeLessThanOrEqual(30)

    const [row] = await core.db.sql`select secret_hash from api_keys where id = ${data?.id as string}`
    expect(row?.secretHash).toBe(sha256(secret))
    const dump = JSON.stringify(await core.db.sql`select * from api_keys`)
    expect(dump).not.toContain(secret)

    const listed = await ann.fetch("/api/v1/api-keys")
    const text = await listed.text()
    expect(text).not.toContain(secret)
    expect(JSON.parse(text).map((k: { id: string }) => k.id)).toEqual([data?.id])
  })

  test("the key authenticates its owner, and its last use is recorded", async () => {
    const ben = await core.user("ben-keys")
    const { data: key } = await ben.api["api-keys"].post({ name: "script" })
    expect(key?.lastUsedAt).toBeNull()
    const me = await core.fetch("/api/v1/me", withKey(key?.secret as string))
    expect(me.status).toBe(200)
    expect((await me.json()).id).toBe(ben.user.id)
    const { data: keys } = await ben.api["api-keys"].get({ query: {} })
    const used = keys?.find((k) => k.id === key?.id)
    expect(used?.lastUsedAt).not.toBeNull()
    expect(Date.now() - Date.parse(used?.lastUsedAt as string)).toBeLessThan(60_000)
  })

  test("a key carries its owner's role", async () => {
    const boss = await core.user("boss-keys", "admin")
    const { data: key } = await boss.api["api-keys"].post({ name: "admin-script" })
    expect((await core.fetch("/api/v1/users", withKey(key?.secret as string))).status).toBe(200)
  })

  test("a revoked key is refused at once", async () => {
    const cat = await core.user("cat-keys")
    const { data: key } = await cat.api["api-keys"].post({ name: "to-revoke" })
    const secret = key?.secret as string
    expect((await core.fetch("/api/v1/me", withKey(secret))).status).toBe(200)
    const revoked = await cat.fetch(`/api/v1/api-keys/${key?.id}`, { method: "DELETE" })
    expect(revoked.status).toBe(200)
    expect((await revoked.json()).revokedAt).not.toBeNull()
    const refused = await core.fetch("/api/v1/me", withKey(secret))
    expect(refused.status).toBe(401)
    expect((await refused.json()).code).toBe("UNAUTHENTICATED")
  })

  test("an expired key is refused", async () => {
    const dan = await core.user("dan-keys")
    const { data: key } = await dan.api["api-keys"].post({ name: "short", expiresInDays: 1 })
    await core.db.sql`update api_keys set expires_at = now() - interval '1 second' where id = ${key?.id as string}`
    expect((await core.fetch("/api/v1/me", withKey(key?.secret as string))).status).toBe(401)
  })

  test("a disabled user's key is refused", async () => {
    const eve = await core.user("eve-keys")
    const { data: key } = await eve.api["api-keys"].post({ name: "k" })
    const admin = await core.admin()
    await admin.api.users({ id: eve.user.id }).patch({ disabled: true })
    expect((await core.fetch("/api/v1/me", withKey(key?.secret as string))).status).toBe(401)
  })

  test("an unknown key that looks like one is refused", async () => {
    const res = await core.fetch("/api/v1/me", withKey(`ssk_${"A".repeat(43)}`))
    expect(res.status).toBe(401)
  })

  test("another user's key answers 404 to revoke and stays live; an admin may revoke it", async () => {
    const [fay, gus] = await core.users("fay-keys", "gus-keys")
    const { data: key } = await fay!.api["api-keys"].post({ name: "mine" })
    expect((await gus!.fetch(`/api/v1/api-keys/${key?.id}`, { method: "DELETE" })).status).toBe(404)
    expect((await core.fetch("/api/v1/me", withKey(key?.secret as string))).status).toBe(200)
    const admin = await core.admin()
    expect((await admin.fetch(`/api/v1/api-keys/${key?.id}`, { method: "DELETE" })).status).toBe(200)
    expect((await core.fetch("/api/v1/me", withKey(key?.secret as string))).status).toBe(401)
  })

  test("users list only their own keys; admins may list everyone's with all=true", async () => {
    const [hal, ivy] = await core.users("hal-keys", "ivy-keys")
    await hal!.api["api-keys"].post({ name: "hal" })
    await ivy!.api["api-keys"].post({ name: "ivy" })
    const { data: own } = await hal!.api["api-keys"].get({ query: { all: true } })
    expect(own?.every((k) => k.userId === hal!.user.id)).toBe(true)
    const admin = await core.admin()
    const { data: all } = await admin.api["api-keys"].get({ query: { all: true } })
    const owners = new Set(all?.map((k) => k.userId))
    expect(owners.has(hal!.user.id) && owners.has(ivy!.user.id)).toBe(true)
  })

  test("invalid input names the field", async () => {
    const jo = await core.user("jo-keys")
    const cases: [unknown, string][] = [
      [{}, "/name"],
      [{ name: "" }, "/name"],
      [{ name: "x", expiresInDays: 0 }, "/expiresInDays"],
      [{ name: "x", expiresInDays: 1.5 }, "/expiresInDays"],
    ]
    for (const [body, field] of cases) {
      const res = await jo.fetch("/api/v1/api-keys", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      })
      expect(res.status).toBe(422)
      expect((await res.json()).errors.map((e: { field: string }) => e.field)).toContain(field)
    }
  })
})
