// Databases for tests: a fresh PostgreSQL database, or a PGlite copied from a migrated template.
import { cpSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import postgres from "postgres"
import { connectPglite, connectPostgres, type Database } from "../infra/db/connect.ts"
import { MIGRATIONS, migrate } from "../infra/db/migrate.ts"

export type TestBackend = "pglite" | "postgres"

/** Which backend the suite runs on: CI runs everything once per backend. */
export const testBackend = (): TestBackend => (process.env.TEST_DATABASE === "postgres" ? "postgres" : "pglite")

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

/** A new, empty PostgreSQL database; `drop` removes it, closing what still uses it. */
export async function createPostgresDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `streamspace_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    async drop() {
      const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
      await cleanup.unsafe(`drop database if exists ${name} with (force)`)
      await cleanup.end()
    },
  }
}

async function freshPostgres(): Promise<Database> {
  const created = await createPostgresDatabase()
  const db = await connectPostgres(created.url)
  return {
    ...db,
    async close() {
      await db.close()
      await created.drop()
    },
  }
}

/**
 * initdb costs ~5 s; an initialised data dir (migrated, or empty for migration tests) is made once
 * per migration set and copied for each test that needs one.
 */
export async function pgliteTemplate(migrated = true): Promise<string> {
  const key = migrated ? Bun.hash(MIGRATIONS.map((m) => m.sql).join("\n")).toString(36) : "empty"
  const dir = join(tmpdir(), `streamspace-pglite-template-${key}`)
  if (existsSync(join(dir, "PG_VERSION"))) return dir
  const building = `${dir}.building-${process.pid}-${Math.random().toString(36).slice(2)}`
  const db = await connectPglite(building)
  if (migrated) await migrate(db.sql)
  await db.close()
  if (existsSync(join(dir, "PG_VERSION"))) rmSync(building, { recursive: true, force: true })
  else {
    rmSync(dir, { recursive: true, force: true })
    renameSync(building, dir) // atomic: a reader never sees a half-written template
  }
  return dir
}

/** A PGlite data directory of one's own, copied from a template (the caller removes it). */
export async function pgliteCopy(migrated = true): Promise<string> {
  const template = await pgliteTemplate(migrated)
  const dir = join(tmpdir(), `streamspace-pglite-test-${process.pid}-${Math.random().toString(36).slice(2)}`)
  mkdirSync(dir, { recursive: true })
  cpSync(template, dir, { recursive: true })
  return dir
}

async function freshPglite(migrated: boolean): Promise<Database> {
  const dir = await pgliteCopy(migrated)
  const db = await connectPglite(dir)
  return {
    ...db,
    async close() {
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** A database for one test file; PostgreSQL ones start empty, PGlite ones migrated unless `empty`. */
export const openTestDatabase = (backend: TestBackend = testBackend(), options: { empty?: boolean } = {}): Promise<Database> =>
  backend === "postgres" ? freshPostgres() : freshPglite(!options.empty)

/**
 * A migrated database for a control plane run as a separate process: the environment that points
 * main.ts at it, and `remove` for the end of the test. Nothing holds it open meanwhile (PGlite
 * allows one process at a time).
 */
export async function databaseForProcess(
  backend: TestBackend = testBackend(),
): Promise<{ env: Record<string, string>; open(): Promise<Database>; remove(): Promise<void> }> {
  if (backend === "postgres") {
    const created = await createPostgresDatabase()
    const db = await connectPostgres(created.url, 1)
    await migrate(db.sql)
    await db.close()
    // DATA_DIR still holds files beside the database (the local agent's secret).
    const dataDir = mkdtempSync(join(tmpdir(), "streamspace-data-"))
    return {
      env: { DATABASE_URL: created.url, DATA_DIR: dataDir },
      open: () => connectPostgres(created.url, 2),
      async remove() {
        await created.drop()
        rmSync(dataDir, { recursive: true, force: true })
      },
    }
  }
  const dir = await pgliteCopy()
  return {
    env: { DATA_DIR: dir },
    open: () => connectPglite(dir),
    async remove() {
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
