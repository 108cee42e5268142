// Redis for tests: the shared server (TEST_REDIS_URL, default 127.0.0.1:6379) under a prefix of the test's own, or a private redis-server a test may kill.
import { mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { connectRedis, type RedisLink, redisReady } from "../infra/redis.ts"
import { createLogger } from "../infra/log.ts"
import { eventually } from "./eventually.ts"

export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

/** A connection to the shared Redis whose keys live under a fresh prefix; close() removes them. */
export async function testRedis(url = TEST_REDIS_URL): Promise<RedisLink> {
  const prefix = `test-${crypto.randomUUID().slice(0, 8)}`
  const link = connectRedis(url, createLogger("silent"), prefix)
  await redisReady(link)
  const close = link.close
  link.close = async () => {
    const keys = await link.client.keys(`${prefix}:*`).catch(() => [])
    if (keys.length > 0) await link.client.del(...keys).catch(() => {})
    await close()
  }
  return link
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))))
    })
  })
}

/** A redis-server of the test's own (no persistence), for tests that stop and restart Redis; never the shared one. */
export async function privateRedis() {
  const port = await freePort()
  const dir = mkdtempSync(join(tmpdir(), "ss-redis-"))
  let proc: Bun.Subprocess | null = null
  const handle = {
    url: `redis://127.0.0.1:${port}`,
    port,
    async start() {
      proc = Bun.spawn(
        ["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
        { stdout: "ignore", stderr: "ignore" },
      )
      await eventually(
        async () => {
          const ping = Bun.spawn(["redis-cli", "-p", String(port), "ping"], { stdout: "pipe", stderr: "ignore" })
          if ((await new Response(ping.stdout).text()).trim() !== "PONG") throw new Error("redis-server is not up yet")
        },
        10_000,
        50,
      )
    },
    async stop(signal: NodeJS.Signals = "SIGKILL") {
      const p = proc
      proc = null
      if (!p) return
      p.kill(signal)
      await p.exited
    },
    async close() {
      await handle.stop()
      rmSync(dir, { recursive: true, force: true })
    },
  }
  await handle.start()
  return handle
}
