// Runs the real control plane (main.ts) as a child process for tests that kill and restart it.
import { join } from "node:path"
import { createApp } from "../app.ts"
import { RELAY_ALLOCATOR_ENV } from "../infra/allocator-env.ts"
import { PRODUCTION_ENV } from "../infra/production-env.ts"
import { createLogger } from "../infra/log.ts"
import { createApiKey } from "../modules/api-keys/service.ts"
import { createUser } from "../modules/users/service.ts"
import type { Platform, Resources, Template } from "@streamspace/schemas"
import { databaseForProcess } from "./test-database.ts"

export interface CoreProcess {
  url: string
  proc: Bun.Subprocess<"ignore", "pipe", "pipe">
  /** Every stdout/stderr line so far, for assertions and for failure messages. */
  lines: string[]
  /** The first line, past or future, that matches. */
  waitForLine(match: RegExp, timeoutMs?: number): Promise<string>
  stop(signal?: NodeJS.Signals): Promise<number>
}

const MAIN = join(import.meta.dir, "..", "main.ts")

/** `bunFlags` go before the script (e.g. `--cpu-prof-md` for a benchmark's profile). */
export async function startCoreProcess(
  env: Record<string, string>,
  timeoutMs = 30_000,
  bunFlags: string[] = [],
): Promise<CoreProcess> {
  const proc = Bun.spawn(["bun", ...bunFlags, MAIN], {
    env: {
      ...RELAY_ALLOCATOR_ENV,
      ...process.env,
      // After the runner's environment: bun test sets NODE_ENV=test, and the process runs as the product does.
      ...PRODUCTION_ENV,
      PORT: "0",
      HOST: "127.0.0.1",
      LOG_LEVEL: "info",
      LOCAL_DOCKER_AGENT: "off",
      ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  })
  const lines: string[] = []
  let onLine: (line: string) => void = () => {}
  const watchers = new Set<(line: string) => void>()
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder()
    let rest = ""
    const reader = stream.getReader()
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      const parts = (rest + decoder.decode(chunk.value, { stream: true })).split("\n")
      rest = parts.pop() ?? ""
      for (const line of parts) {
        lines.push(line)
        onLine(line)
        for (const watch of [...watchers]) watch(line)
      }
    }
  }
  void pump(proc.stdout)
  void pump(proc.stderr)
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the control plane did not start:\n${lines.join("\n")}`)), timeoutMs)
    void proc.exited.then((code) => reject(new Error(`the control plane exited with ${code}:\n${lines.join("\n")}`)))
    onLine = (line) => {
      if (!line.includes("StreamSpace control plane ready")) return
      clearTimeout(timer)
      resolve((JSON.parse(line) as { port: number }).port)
    }
    for (const line of lines) onLine(line)
  })
  return {
    url: `http://127.0.0.1:${port}`,
    proc,
    lines,
    waitForLine(match, waitMs = timeoutMs) {
      const seen = lines.find((l) => match.test(l))
      if (seen !== undefined) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(watch)
          reject(new Error(`no line matching ${match}:\n${lines.join("\n")}`))
        }, waitMs)
        const watch = (line: string) => {
          if (!match.test(line)) return
          clearTimeout(timer)
          watchers.delete(watch)
          resolve(line)
        }
        watchers.add(watch)
      })
    },
    async stop(signal: NodeJS.Signals = "SIGTERM") {
      proc.kill(signal)
      return proc.exited
    },
  }
}

/**
 * A control plane process on its own migrated database, with an admin API key made beforehand,
 * that a test can kill and start again on the same database.
 */
export async function processControlPlane(env: Record<string, string> = {}, bunFlags: string[] = []) {
  const database = await databaseForProcess()
  // Made before the process runs: PGlite admits one process at a time.
  const db = await database.open()
  const { deps } = createApp({ db, log: createLogger("silent"), signingKey: "x".repeat(32), accessTokenTtlSeconds: 900 })
  const admin = await createUser(deps, { username: "process-admin", role: "admin" })
  const principal = { id: admin.id, username: admin.username, role: admin.role, via: "token" as const }
  const apiKey = (await createApiKey(deps, principal, { name: "test" })).secret
  await db.close()

  let current: CoreProcess | null = null
  const handle = {
    get core(): CoreProcess {
      if (!current) throw new Error("the control plane is not running")
      return current
    },
    async start() {
      current = await startCoreProcess({ ...database.env, ...env }, undefined, bunFlags)
      return current
    },
    /** The process's database, for a test to look at while the process is stopped (PGlite admits one process). */
    openDatabase: () => database.open(),
    /** JSON API call as the admin; throws with the problem text on a non-2xx answer. */
    async call<T>(path: string, init: RequestInit = {}): Promise<T> {
      const res = await this.fetch(path, init)
      if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${res.status}: ${await res.text()}`)
      return (res.status === 204 ? undefined : await res.json()) as T
    },
    /** A catalog template for a desktop image, made as the admin (the end-to-end tests' and bench:start's). */
    desktopTemplate(
      name: string,
      image: string,
      extra: { displayName?: string; category?: string; resources?: Resources } = {},
    ): Promise<Template> {
      return this.call<Template>("/api/v1/templates", {
        method: "POST",
        body: JSON.stringify({
          name,
          displayName: extra.displayName ?? "Test desktop",
          category: extra.category ?? "Test",
          image,
          resources: extra.resources ?? { cpu: 0.5, memory: 512 },
          homePath: "/home/user",
        }),
      })
    },
    /** Registers an agent as the admin; its token is shown this once. */
    registerAgent(name: string, platform: Platform = "docker"): Promise<{ id: string; token: string }> {
      return this.call("/api/v1/agents", { method: "POST", body: JSON.stringify({ name, platform }) })
    },
    fetch(path: string, init: RequestInit = {}, token = apiKey): Promise<Response> {
      return fetch(`${handle.core.url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...init.headers },
      })
    },
    async close() {
      // A profiled process writes its profile on a clean exit only.
      await current?.stop(bunFlags.length > 0 ? "SIGTERM" : "SIGKILL")
      current = null
      await database.remove()
    },
  }
  await handle.start()
  return handle
}
export type ProcessControlPlane = Awaited<ReturnType<typeof processControlPlane>>
