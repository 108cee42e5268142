// Databases for tests: a fresh PostgreSQL database, or a PGlite copied from a migrated template.
import { cpSync, existsSync, mkdirSync, renameSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import postgres from "postgres"
import { connectPglite, connectPostgres, type Database } from "../infra/db/connect.ts"
import { MIGRATIONS, migrate } from "../infra/db/migrate.ts"

export type TestBackend = "pglite" | "postgres"

/** Which backend the suite runs on: CI runs everything once per backend. */
export const testBackend = (): TestBackend => (process.env.TEST_DATABASE === "postgres" ? "postgres" : "pglite")

const ADMIN_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres"

async function freshPostgres(): Promise<Database> {
  const name = `streamspace_test_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`
  const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
  await admin.unsafe(`create database ${name}`)
  await admin.end()
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  const db = await connectPostgres(url.toString())
  return {
    ...db,
    async close() {
      await db.close()
      const cleanup = postgres(ADMIN_URL, { max: 1, onnotice: () => {} })
      await cleanup.unsafe(`drop database if exists ${name} with (force)`)
      await cleanup.end()
    },
  }
}

/** initdb costs ~5 s; a migrated data dir is made once per migration set and copied per test file. */
async function pgliteTemplate(): Promise<string> {
  const key = Bun.hash(MIGRATIONS.map((m) => m.sql).join("\n")).toString(36)
  const dir = join(tmpdir(), `streamspace-pglite-template-${key}`)
  if (existsSync(join(dir, "PG_VERSION"))) return dir
  const building = `${dir}.building-${process.pid}-${Math.random().toString(36).slice(2)}`
  const db = await connectPglite(building)
  await migrate(db.sql)
  await db.close()
  if (existsSync(join(dir, "PG_VERSION"))) rmSync(building, { recursive: true, force: true })
  else {
    rmSync(dir, { recursive: true, force: true })
    renameSync(building, dir) // atomic: a reader never sees a half-written template
  }
  return dir
}

async function freshPglite(): Promise<Database> {
  const template = await pgliteTemplate()
  const dir = join(tmpdir(), `streamspace-pglite-test-${process.pid}-${Math.random().toString(36).slice(2)}`)
  mkdirSync(dir, { recursive: true })
  cpSync(template, dir, { recursive: true })
  const db = await connectPglite(dir)
  return {
    ...db,
    async close() {
      await db.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

export const openTestDatabase = (backend: TestBackend = testBackend()): Promise<Database> =>
  backend === "postgres" ? freshPostgres() : freshPglite()
