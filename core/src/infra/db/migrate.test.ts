// Migrations on an empty database of the suite's backend: applied once, a no-op the second time, atomic.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test"
import { rmSync } from "node:fs"
import { openTestDatabase, pgliteCopy, testBackend } from "../../testing/test-database.ts"
import { connectPglite, type Database } from "./connect.ts"
import { MIGRATIONS, migrate, pendingMigrations } from "./migrate.ts"

const TABLES = ["agents", "api_keys", "audit_events", "outbox", "schema_migrations", "sessions", "settings", "templates", "users"]
let db: Database
const cleanups: (() => Promise<void>)[] = []

// One empty database for the file (opening PGlite costs seconds); each test starts from an empty schema.
beforeAll(async () => {
  db = await openTestDatabase(testBackend(), { empty: true })
})
afterAll(() => db.close())
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
  await db.sql.unsafe("drop schema public cascade; create schema public")
})

const tables = async () =>
  (await db.sql<{ tableName: string }[]>`select table_name from information_schema.tables where table_schema = 'public'`)
    .map((r) => r.tableName)
    .sort()

describe(`migrations on ${testBackend()}`, () => {
  test("apply every migration on an empty database, then do nothing the second time", async () => {
    expect(await tables()).toEqual([])
    expect(await migrate(db.sql)).toEqual(MIGRATIONS.map((m) => m.version))
    expect(await tables()).toEqual(expect.arrayContaining(TABLES))
    expect(await pendingMigrations(db.sql)).toBe(0)
    await db.sql`insert into users (username, role) values ('kept', 'user')`
    expect(await migrate(db.sql)).toEqual([])
    expect((await db.sql`select username from users`).map((r) => r.username)).toEqual(["kept"])
    const recorded = await db.sql<
      { version: number; name: string }[]
    >`select version, name from schema_migrations order by version`
    expect(recorded.map((r) => ({ version: r.version, name: r.name }))).toEqual(
      MIGRATIONS.map(({ version, name }) => ({ version, name })),
    )
  })

  test("two starters at once apply each migration once", async () => {
    const results = await Promise.all([migrate(db.sql), migrate(db.sql)])
    expect(results.flat().sort()).toEqual(MIGRATIONS.map((m) => m.version))
    expect(await pendingMigrations(db.sql)).toBe(0)
  })

  test("a migration that fails leaves nothing behind, not even the bookkeeping table", async () => {
    // A table already named like one the first migration creates makes it fail half-way.
    await db.sql`create table api_keys (id int)`
    await expect(migrate(db.sql)).rejects.toThrow(/already exists/)
    expect(await tables()).toEqual(["api_keys"])
  })

  // The embedded database lives in a directory; PostgreSQL's restart is not ours to test.
  if (testBackend() === "pglite")
    test("the embedded database keeps its data and migrations across a restart", async () => {
      const dir = await pgliteCopy(false)
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }))
      const first = await connectPglite(dir)
      await migrate(first.sql)
      await first.sql`insert into users (username, role) values ('survivor', 'admin')`
      await first.close()
      const again = await connectPglite(dir)
      cleanups.unshift(() => again.close())
      expect(await migrate(again.sql)).toEqual([])
      expect((await again.sql`select username from users`).map((r) => r.username)).toEqual(["survivor"])
    })
})
