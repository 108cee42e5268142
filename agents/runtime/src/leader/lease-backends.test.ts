import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { mkdtempSync, openSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Redis from "ioredis"
import { FileLease } from "./file-lease.ts"
import { tryLockExclusive, unlock } from "./flock.ts"
import type { LeaseBackend } from "./leader-elector.ts"
import { RedisLease } from "./redis-lease.ts"
import { startTestRedis, type TestRedis } from "./test-redis.ts"

let redis: TestRedis
let peek: Redis
const dir = mkdtempSync(join(tmpdir(), "streamspace-lease-"))
const closers: LeaseBackend[] = []
beforeAll(async () => {
  redis = await startTestRedis()
  peek = new Redis(redis.url)
})
afterAll(async () => {
  for (const b of closers) await b.close?.()
  peek.disconnect()
  await redis.stop()
  rmSync(dir, { recursive: true, force: true })
})

/** Two replicas' views of one lease, and a way to let it run out. */
interface Pair {
  a: LeaseBackend
  b: LeaseBackend
  /** Lets a lease of `ms` run out. */
  expire(ms: number): Promise<void>
  /** Loses the store's data (Redis restarted without persistence, lease file deleted). */
  wipe(): Promise<void>
}

let n = 0
const backends = {
  file: async (): Promise<Pair> => {
    let offset = 0
    const path = join(dir, `lease-${++n}`, "leader")
    const now = () => Date.now() + offset
    return {
      a: new FileLease(path, now),
      b: new FileLease(path, now),
      expire: async (ms) => {
        offset += ms + 1
      },
      wipe: async () => rmSync(path, { force: true }),
    }
  },
  redis: async (): Promise<Pair> => {
    const name = `test-${++n}-${crypto.randomUUID()}`
    const a = new RedisLease({ url: redis.url, name, prefix: "test" })
    const b = new RedisLease({ url: redis.url, name, prefix: "test" })
    closers.push(a, b)
    await Promise.all([a.ready(), b.ready()])
    // Redis counts the lease down on its own clock: wait it out.
    const wipe = async () => {
      const keys = await peek.keys(`test:agent-leader:${name}*`)
      if (keys.length) await peek.del(...keys)
    }
    return { a, b, expire: (ms) => Bun.sleep(ms + 20), wipe }
  },
}

const LEASE = 150

for (const [kind, make] of Object.entries(backends)) {
  describe(`${kind} lease (real ${kind === "file" ? "files and flock" : "redis-server"})`, () => {
    test("one holder at a time; the holder renews; others are refused while it is live", async () => {
      const { a, b } = await make()
      const grant = await a.tryAcquire("a", 10_000)
      expect(grant).not.toBeNull()
      expect(await b.tryAcquire("b", 10_000)).toBeNull()
      expect(await a.renew("a", grant as { fencingToken: number }, 10_000)).toBe(true)
      expect(await b.renew("b", grant as { fencingToken: number }, 10_000)).toBe(false)
    })

    test("an expired lease goes to the next holder with a higher token; the old holder's renew and release are refused", async () => {
      const { a, b, expire } = await make()
      const first = await a.tryAcquire("a", LEASE)
      if (!first) throw new Error("a did not acquire a free lease")
      await expire(LEASE)
      const second = await b.tryAcquire("b", 10_000)
      if (!second) throw new Error("b did not acquire an expired lease")
      expect(second.fencingToken).toBeGreaterThan(first.fencingToken)
      expect(await a.renew("a", first, 10_000)).toBe(false)
      await a.release("a", first)
      expect(await a.tryAcquire("a", 10_000)).toBeNull()
      expect(await b.renew("b", second, 10_000)).toBe(true)
    })

    test("a released lease is free at once, and terms keep growing across releases", async () => {
      const { a, b } = await make()
      const tokens: number[] = []
      for (let i = 0; i < 3; i++) {
        const mine = await a.tryAcquire("a", 10_000)
        if (!mine) throw new Error("a did not acquire")
        tokens.push(mine.fencingToken)
        await a.release("a", mine)
        const theirs = await b.tryAcquire("b", 10_000)
        if (!theirs) throw new Error("b did not acquire a released lease")
        tokens.push(theirs.fencingToken)
        await b.release("b", theirs)
      }
      expect(tokens).toEqual([...tokens].sort((x, y) => x - y))
      expect(new Set(tokens).size).toBe(tokens.length)
    })

    test("a lease store that lost its data still grants terms above the old ones", async () => {
      const { a, b, wipe } = await make()
      const old = await a.tryAcquire("a", 10_000)
      if (!old) throw new Error("a did not acquire")
      // Data lost a little later (a restart takes far longer than the millisecond the clock floor needs).
      await Bun.sleep(5)
      await wipe()
      const next = await b.tryAcquire("b", 10_000)
      expect(next?.fencingToken).toBeGreaterThan(old.fencingToken)
    })

    test("the same holder taking its own lease again gets a new term, and the old term's renewals fail", async () => {
      const { a } = await make()
      const first = await a.tryAcquire("a", 10_000)
      const again = await a.tryAcquire("a", 10_000)
      if (!first || !again) throw new Error("a did not acquire its own lease")
      expect(again.fencingToken).toBeGreaterThan(first.fencingToken)
      expect(await a.renew("a", first, 10_000)).toBe(false)
    })
  })
}

test("redis lease: calls fail fast while Redis is down and work again once it is back (own redis-server)", async () => {
  const { a } = await backends.redis()
  await redis.kill()
  const started = Date.now()
  await expect(a.tryAcquire("a", 1_000)).rejects.toThrow()
  expect(Date.now() - started).toBeLessThan(2_000)
  await redis.restart()
  const deadline = Date.now() + 20_000
  for (;;) {
    const grant = await a.tryAcquire("a", 1_000).catch(() => undefined)
    if (grant) break
    if (Date.now() > deadline) throw new Error("no grant within 20 s of Redis coming back")
    await Bun.sleep(50)
  }
})

test("file lease: a process inside the mutex makes others try again later instead of waiting", async () => {
  const path = join(dir, "busy", "leader")
  const lease = new FileLease(path)
  const fd = openSync(`${path}.mutex`, "a")
  expect(tryLockExclusive(fd)).toBe(true)
  await expect(lease.tryAcquire("a", 1_000)).rejects.toThrow("busy")
  unlock(fd)
  expect(await lease.tryAcquire("a", 1_000)).not.toBeNull()
})
