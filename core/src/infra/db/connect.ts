// Opens the database: PostgreSQL when a URL is given, otherwise embedded PGlite served over a socket.
import { mkdirSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import postgres from "postgres"

/** The pool itself: it can open transactions. */
export type RootSql = postgres.Sql
/** Anything queries run on: the pool or an open transaction. Repos take this. */
export type Sql = postgres.Sql | postgres.TransactionSql
export interface Database {
  sql: RootSql
  kind: "postgres" | "pglite"
  close(): Promise<void>
}

// Timestamps travel as ISO strings end to end: that is what the API shapes declare.
const isoTimestamps = {
  to: 1184,
  from: [1082, 1114, 1184],
  serialize: (x: Date | string) => (x instanceof Date ? x.toISOString() : x),
  parse: (x: string) => new Date(x).toISOString(),
}

// Column names come back camelCased (and sql(object) keys go out snake_cased), matching the API shapes.
// Only column names: postgres.camel would also rename keys inside JSON values (env: {MY_VAR} → {MYVAR}).
const options = {
  onnotice: () => {},
  types: { isoTimestamps },
  transform: { column: { from: postgres.toCamel, to: postgres.fromCamel } },
} as const

export async function connectPostgres(url: string, max = 10): Promise<Database> {
  const sql = postgres(url, { ...options, max })
  await sql`select 1`
  return { sql, kind: "postgres", close: () => sql.end({ timeout: 5 }) }
}

/**
 * PGlite is a single-connection Postgres; postgres.js reaches it through pglite-socket on a unix
 * socket, so the same SQL and the same driver serve both backends.
 */
export async function connectPglite(dataDir: string | null): Promise<Database> {
  const { PGlite } = await import("@electric-sql/pglite")
  const { PGLiteSocketServer } = await import("@electric-sql/pglite-socket")
  if (dataDir) mkdirSync(dataDir, { recursive: true })
  const db = dataDir ? await PGlite.create(resolve(dataDir)) : await PGlite.create()
  const socketDir = join(tmpdir(), `streamspace-pglite-${process.pid}-${Math.random().toString(36).slice(2, 8)}`)
  mkdirSync(socketDir, { recursive: true })
  const path = join(socketDir, ".s.PGSQL.5432")
  const server = new PGLiteSocketServer({ db, path })
  await server.start()
  const sql = postgres({ ...options, host: socketDir, port: 5432, database: "postgres", username: "postgres", max: 1 })
  await sql`select 1`
  return {
    sql,
    kind: "pglite",
    async close() {
      await sql.end({ timeout: 5 })
      await server.stop()
      await db.close()
    },
  }
}
