// The real entry point as a process: bad config refused, first start, restart, graceful SIGTERM.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createHmac } from "node:crypto"
import { readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { connectPglite, connectPostgres, type Database } from "./infra/db/connect.ts"
import { MIGRATIONS } from "./infra/db/migrate.ts"
import { hashSecret } from "./infra/ids.ts"
import { type CoreProcess, startCoreProcess } from "./testing/core-process.ts"
import { createPostgresDatabase, testBackend } from "./testing/test-database.ts"

const SETUP_TOKEN = /^\s+(sst_[A-Za-z0-9_-]+)$/
const MAIN = join(import.meta.dir, "main.ts")

/** Runs main.ts with exactly `env` (plus PATH) to its exit, for start-ups that must fail. */
async function runToExit(env: Record<string, string>) {
  const proc = Bun.spawn(["bun", MAIN], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", ...env },
    stdout: "pipe",
    stderr: "pipe",
  })
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ])
  const lines = (text: string) => text.split("\n").filter((l) => l.trim())
  return { code, stdout: lines(stdout), stderr: lines(stderr) }
}

describe("refused configuration", () => {
  test("a bad PORT stops start-up with a non-zero exit and one line naming the variable", async () => {
    const run = await runToExit({ PORT: "eighty" })
    expect(run.code).toBe(2)
    expect(run.stderr).toEqual(['Invalid configuration: PORT expected integer (got "eighty") — HTTP port to listen on'])
    expect(run.stdout).toEqual([])
  })

  test("every bad value is refused the same way", async () => {
    for (const [key, value] of [
      ["PORT", "99999"],
      ["LOG_LEVEL", "chatty"],
      ["DATABASE_URL", "mysql://db/x"],
    ]) {
      const run = await runToExit({ [key as string]: value as string })
      expect(run.code).toBe(2)
      expect(run.stderr).toHaveLength(1)
      expect(run.stderr[0]).toStartWith(`Invalid configuration: ${key} `)
    }
  })

  test("a Redis that cannot be reached stops start-up with one line, before the database is touched", async () => {
    const run = await runToExit({
      REDIS_URL: "redis://127.0.0.1:1",
      PLUGIN_SECRETS_KEY: "0".repeat(64),
      DATABASE_URL: "postgres://nobody@127.0.0.1:1/none",
    })
    expect(run.code).toBe(1)
    expect(run.stderr).toEqual(["Cannot reach Redis (REDIS_URL): Redis did not answer within 10000 ms"])
  })

  test("a REDIS_URL that is not a Redis URL is refused without echoing it (it may hold a password)", async () => {
    const run = await runToExit({ REDIS_URL: "http://user:secret@redis:6379" })
    expect(run.code).toBe(2)
    expect(run.stderr).toHaveLength(1)
    expect(run.stderr[0]).toStartWith("Invalid configuration: REDIS_URL ")
    expect(run.stderr[0]).not.toContain("secret")
  })

  test("a database that cannot be reached stops start-up with one line", async () => {
    const run = await runToExit({ DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" })
    expect(run.code).toBe(1)
    expect(run.stderr).toHaveLength(1)
    expect(run.stderr[0]).toStartWith("Cannot open the database:")
  })
})

/** SIGTERM, then exit 0; otherwise the process's output explains why. */
async function expectCleanStop(core: CoreProcess) {
  const code = await core.stop("SIGTERM")
  expect({ code, output: code === 0 ? [] : core.lines }).toEqual({ code: 0, output: [] })
}

/** The backend the suite runs on, as main.ts sees it: a data dir, or a fresh PostgreSQL database. */
async function backendEnv(): Promise<{
  env: Record<string, string>
  dataDir: string
  open(): Promise<Database>
  remove(): Promise<void>
}> {
  // A directory that does not exist yet: the first start makes it (PGlite initialises the database in it).
  const dir = join(tmpdir(), `streamspace-main-test-${process.pid}-${Date.now()}`, "data")
  const removeDir = () => rmSync(join(dir, ".."), { recursive: true, force: true })
  if (testBackend() === "postgres") {
    const created = await createPostgresDatabase()
    return {
      env: { DATABASE_URL: created.url, DATA_DIR: dir },
      dataDir: dir,
      open: () => connectPostgres(created.url, 1),
      async remove() {
        await created.drop()
        removeDir()
      },
    }
  }
  return { env: { DATA_DIR: dir }, dataDir: dir, open: () => connectPglite(dir), remove: async () => removeDir() }
}

describe(`start-up on ${testBackend()}`, () => {
  let backend: Awaited<ReturnType<typeof backendEnv>>
  const tokens: string[] = []

  /** Looks inside the database while no control plane runs on it (PGlite allows one process). */
  async function inspect<T>(look: (db: Database) => Promise<T>): Promise<T> {
    const db = await backend.open()
    try {
      return await look(db)
    } finally {
      await db.close()
    }
  }

  beforeAll(async () => {
    backend = await backendEnv()
  })
  afterAll(() => backend.remove())

  test("the first start creates the admin, installs the catalog and prints a one-time setup token", async () => {
    const core = await startCoreProcess({ ...backend.env, ADMIN_USERNAME: "chief" }, 120_000)
    try {
      const ready = JSON.parse(await core.waitForLine(/control plane ready/))
      expect(ready).toMatchObject({ database: testBackend(), migrationsApplied: MIGRATIONS.map((m) => m.version), level: 30 })
      const url = core.url
      tokens.push(SETUP_TOKEN.exec(await core.waitForLine(SETUP_TOKEN))?.[1] as string)
      expect(core.lines.join("\n")).toContain('one-time setup token for "chief"')
      expect(core.lines.join("\n")).toContain(`open http://localhost:${ready.port}/setup`)
      expect(core.lines.some((l) => l.includes('"msg":"installed the default catalog"'))).toBe(true)
      // Every other line is a JSON log line.
      for (const line of core.lines.filter((l) => l.trim() && !l.includes("setup token") && !SETUP_TOKEN.test(l)))
        expect(() => JSON.parse(line)).not.toThrow()
      expect((await fetch(`${url}/healthz`)).status).toBe(200)
      expect(await (await fetch(`${url}/readyz`)).json()).toEqual({ status: "ready", database: testBackend() })
      expect((await fetch(`${url}/api/v1/me`)).status).toBe(401)
    } finally {
      await expectCleanStop(core)
    }
    const state = await inspect(async (db) => ({
      users: await db.sql`select username, role from users`,
      token: (await db.sql`select value from settings where key = 'setup_token'`)[0]?.value,
      templates: (await db.sql`select count(*)::int as n from templates`)[0]?.n,
    }))
    expect(state.users.map((u) => ({ username: u.username, role: u.role }))).toEqual([{ username: "chief", role: "admin" }])
    // Only the token's hash is kept, and there is never a password.
    expect(state.token.hash).toBe(hashSecret(tokens[0] as string))
    expect(JSON.stringify(state)).not.toContain(tokens[0])
    expect(state.templates).toBeGreaterThan(0)
  })

  test("a restart keeps the data, makes no second admin, and replaces the setup token", async () => {
    const before = await inspect(async (db) => (await db.sql`select count(*)::int as n from templates`)[0]?.n)
    const core = await startCoreProcess({ ...backend.env, ADMIN_USERNAME: "someone-else" }, 120_000)
    try {
      expect(JSON.parse(await core.waitForLine(/control plane ready/)).migrationsApplied).toEqual([])
      tokens.push(SETUP_TOKEN.exec(await core.waitForLine(SETUP_TOKEN))?.[1] as string)
      expect(core.lines.some((l) => l.includes("installed the default catalog"))).toBe(false)
    } finally {
      await expectCleanStop(core)
    }
    expect(tokens[1]).not.toBe(tokens[0])
    const after = await inspect(async (db) => ({
      users: (await db.sql`select username from users`).map((u) => u.username),
      hash: (await db.sql`select value from settings where key = 'setup_token'`)[0]?.value.hash,
      templates: (await db.sql`select count(*)::int as n from templates`)[0]?.n,
    }))
    expect(after).toEqual({ users: ["chief"], hash: hashSecret(tokens[1] as string), templates: before })
  })

  test("the plugin secrets key is generated once into DATA_DIR (mode 600), kept across restarts, and not in the database", async () => {
    const path = join(backend.dataDir, "plugin-secrets.key")
    expect(statSync(path).mode & 0o777).toBe(0o600)
    const key = readFileSync(path, "utf8").trim()
    const settings = await inspect(async (db) => db.sql`select key, value::text as value from settings`)
    expect(settings.map((s) => s.key)).toContain("plugins.secretsKeyCheck")
    expect(settings.map((s) => s.key)).not.toContain("plugins.secretsKey")
    expect(JSON.stringify(settings)).not.toContain(key)
    // Two starts ran on this DATA_DIR already (above); the key is the one the first made.
    expect(settings.find((s) => s.key === "plugins.secretsKeyCheck")?.value).toBe(
      JSON.stringify(
        createHmac("sha256", Buffer.from(key, "base64")).update("streamspace plugin secrets key check v1").digest("hex"),
      ),
    )
  })

  test("a start with another key than the stored plugin secrets were written with stops with one line and exit 2", async () => {
    await inspect(async (db) => {
      await db.sql`insert into plugin_bundles (sha256, manifest, bundle, bytes) values (${"a".repeat(64)}, '{}', '', 0)`
      const [install] = await db.sql`insert into plugin_installs (plugin_id, version, bundle_sha256)
        values ('test.key', '1.0.0', ${"a".repeat(64)}) returning id`
      await db.sql`insert into plugin_secrets (install_id, owner, name, iv, ciphertext, tag)
        values (${install?.id}, 'plugin', 'x', ${Buffer.alloc(12)}, ${Buffer.alloc(4)}, ${Buffer.alloc(16)})`
    })
    const otherKey = "f".repeat(64)
    const run = await runToExit({ ...backend.env, PLUGIN_SECRETS_KEY: otherKey })
    expect(run.code).toBe(2)
    expect(run.stderr).toEqual([
      expect.stringMatching(/^PLUGIN_SECRETS_KEY is not the key the 1 plugin secrets in this database were encrypted with\./),
    ])
    expect(run.stderr.join("")).not.toContain(otherKey)
    await inspect(async (db) => {
      await db.sql`delete from plugin_installs where plugin_id = 'test.key'`
      await db.sql`delete from plugin_bundles where sha256 = ${"a".repeat(64)}`
    })
  })

  test("run as the product is (NODE_ENV=production), a body that fails validation is a 422 naming each field, audited", async () => {
    const core = await startCoreProcess(backend.env, 120_000)
    try {
      const requestId = `production-${Date.now()}`
      const res = await fetch(`${core.url}/api/v1/auth/sign-in`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-request-id": requestId },
        body: JSON.stringify({ username: 42 }),
      })
      expect(res.status).toBe(422)
      expect(res.headers.get("content-type")).toBe("application/problem+json")
      const problem = (await res.json()) as { code: string; errors: { field: string }[]; requestId: string }
      expect(problem.code).toBe("VALIDATION_FAILED")
      expect(problem.requestId).toBe(requestId)
      expect(problem.errors.map((e) => e.field).sort()).toEqual(["/password", "/username"])
      await expectCleanStop(core)
      const rows = await inspect((db) => db.sql`select outcome, status from audit_events where request_id = ${requestId}`)
      expect(rows.map((r) => ({ ...r }))).toEqual([{ outcome: "failure", status: 422 }])
    } finally {
      core.proc.kill()
    }
  })

  test("SIGTERM stops serving, writes the audit rows still in flight, and exits 0", async () => {
    const core = await startCoreProcess(backend.env, 120_000)
    const url = core.url
    const requestId = `sigterm-${Date.now()}`
    const refused = await fetch(`${url}/api/v1/users`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-request-id": requestId },
      body: "{}",
    })
    expect(refused.status).toBe(401)
    await expectCleanStop(core)
    expect(core.lines.some((l) => l.includes('"msg":"shutting down"') && l.includes('"signal":"SIGTERM"'))).toBe(true)
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
    const rows = await inspect((db) => db.sql`select action, outcome, status from audit_events where request_id = ${requestId}`)
    expect(rows.map((r) => ({ ...r }))).toEqual([{ action: "user.create", outcome: "failure", status: 401 }])
  })
})
