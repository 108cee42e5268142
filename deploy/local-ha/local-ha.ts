// N control-plane replicas on PostgreSQL + Redis behind Debian's HAProxy (round-robin, WebSocket-aware, no affinity, /readyz checks).
import { randomBytes } from "node:crypto"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type CoreProcess, startCoreProcess } from "../../core/src/testing/core-process.ts"
import { freePort } from "../../core/src/testing/test-redis.ts"

export interface LocalHaOptions {
  replicas: number
  databaseUrl: string
  redisUrl: string
  /** HAProxy's port (0 → a free one). */
  port?: number
  /** Shared by every replica (access tokens and the derived replica secret). */
  jwtSecret: string
  /** More environment for every replica (e.g. PLUGINS_ENABLED, AGENT_HEARTBEAT_INTERVAL_MS). */
  env?: Record<string, string>
  /** How often HAProxy checks /readyz (default 500 ms; two misses take a replica out). */
  checkIntervalMs?: number
}

export interface Replica {
  name: string
  port: number
  url: string
  process: CoreProcess | null
}

export function haproxyConfig(frontPort: number, replicas: Replica[], checkIntervalMs: number): string {
  return `global
  # Two descriptors per proxied connection: 8000 fits the usual 20000 open-file limit.
  maxconn 8000

defaults
  mode http
  timeout connect 1s
  timeout client 1h
  timeout server 1h
  # WebSockets (agents, viewers) live for hours once upgraded.
  timeout tunnel 1h
  timeout http-request 10s
  # A refused connection to a dead replica is retried on another one.
  option redispatch
  retries 3

frontend streamspace
  bind 127.0.0.1:${frontPort}
  # Replica-to-replica routes (/internal/…) are for the replicas' own addresses (REPLICA_URL), never
  # for clients: the balancer answers them 404, so only the private network can even try a signature.
  http-request deny deny_status 404 if { path_beg /internal/ }
  default_backend replicas

backend replicas
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter ${checkIntervalMs}ms fall 2 rise 1 on-marked-down shutdown-sessions
${replicas.map((r) => `  server ${r.name} 127.0.0.1:${r.port} check`).join("\n")}
`
}

export async function startLocalHa(o: LocalHaOptions) {
  const dir = mkdtempSync(join(tmpdir(), "streamspace-ha-"))
  const frontPort = o.port || (await freePort())
  const replicas: Replica[] = []
  for (let i = 0; i < o.replicas; i++) {
    const port = await freePort()
    replicas.push({ name: `core${i + 1}`, port, url: `http://127.0.0.1:${port}`, process: null })
  }
  // Every replica must encrypt plugin secrets with the same key (o.env may give one to keep).
  const secretsKey = randomBytes(32).toString("hex")
  const envOf = (r: Replica): Record<string, string> => ({
    DATABASE_URL: o.databaseUrl,
    REDIS_URL: o.redisUrl,
    JWT_SECRET: o.jwtSecret,
    PLUGIN_SECRETS_KEY: secretsKey,
    PORT: String(r.port),
    HOST: "127.0.0.1",
    DATA_DIR: join(dir, r.name),
    ...o.env,
  })
  const start = async (i: number) => {
    const r = replicas[i] as Replica
    r.process = await startCoreProcess(envOf(r), 60_000)
    return r
  }
  const config = join(dir, "haproxy.cfg")
  writeFileSync(config, haproxyConfig(frontPort, replicas, o.checkIntervalMs ?? 500))
  let haproxy: Bun.Subprocess | null = null
  const ha = {
    url: `http://127.0.0.1:${frontPort}`,
    replicas,
    dir,
    start,
    /** Kills one replica (SIGKILL by default: no goodbye to agents, Redis or the database). */
    async kill(i: number, signal: NodeJS.Signals = "SIGKILL") {
      const r = replicas[i] as Replica
      const p = r.process
      r.process = null
      if (p) await p.stop(signal)
    },
    async stop() {
      haproxy?.kill("SIGTERM")
      await haproxy?.exited
      await Promise.all(replicas.map((_, i) => ha.kill(i, "SIGTERM")))
      rmSync(dir, { recursive: true, force: true })
    },
  }
  try {
    // The first one alone: it migrates and creates the first admin; the others find it all done.
    await start(0)
    await Promise.all(replicas.slice(1).map((_, i) => start(i + 1)))
    haproxy = Bun.spawn(["haproxy", "-f", config, "-db"], { stdout: "inherit", stderr: "inherit" })
    const deadline = Date.now() + 15_000
    for (;;) {
      const res = await fetch(`${ha.url}/readyz`).catch(() => null)
      if (res?.ok) break
      if (haproxy.exitCode !== null) throw new Error(`HAProxy exited with ${haproxy.exitCode} (see its lines above)`)
      if (Date.now() > deadline) throw new Error("HAProxy did not answer /readyz within 15 s")
      await Bun.sleep(100)
    }
  } catch (e) {
    await ha.stop()
    throw e
  }
  return ha
}
export type LocalHa = Awaited<ReturnType<typeof startLocalHa>>
