// Leader lease in Redis: SET NX-like take-over and owner-checked renew/release in Lua, terms numbered by INCR.
import Redis from "ioredis"
import type { LeaseBackend, LeaseGrant } from "./leader-elector.ts"

export interface RedisLeaseOptions {
  url: string
  /** Names the lease: one per agent (replicas of one agent share it). */
  name: string
  /** Key prefix; tests isolate themselves with their own. */
  prefix?: string
  /** Longest a single call may take before it counts as failed; keep it below the lease. */
  commandTimeoutMs?: number
}

// The lease value is "<holder>|<token>". Terms come from a counter that never expires, raised to Redis' clock in
// milliseconds: a Redis that lost its data (restart without persistence) still hands out terms above every old one,
// which the control plane would otherwise refuse forever. A holder may take its own lease again (after it stepped
// down locally) but gets a new term.
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.sub(cur, 1, string.len(ARGV[1]) + 1) ~= ARGV[1] .. '|' then return false end
local token = redis.call('INCR', KEYS[2])
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if token < ms then
  token = ms
  redis.call('SET', KEYS[2], token)
end
redis.call('SET', KEYS[1], ARGV[1] .. '|' .. token, 'PX', ARGV[2])
return token`
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`

export class RedisLease implements LeaseBackend {
  readonly kind = "redis"
  private readonly redis: Redis
  private readonly key: string
  private readonly termKey: string

  constructor(options: RedisLeaseOptions) {
    const prefix = options.prefix ?? "streamspace"
    this.key = `${prefix}:agent-leader:${options.name}`
    this.termKey = `${this.key}:term`
    this.redis = new Redis(options.url, {
      // A call during an outage fails at once: the elector retries on its own schedule, and a leader must not
      // believe a renewal that sat in a queue.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 1_000,
      connectTimeout: options.commandTimeoutMs ?? 1_000,
      retryStrategy: (times) => Math.min(50 * times, 500),
      connectionName: `streamspace-agent-leader-${options.name}`,
    })
    // Errors surface on the calls; the connection's own error events only say it is retrying.
    this.redis.on("error", () => {})
  }

  /** Resolves once connected (or rejects after the connect timeout): the first attempt need not fail. */
  async ready(): Promise<void> {
    if (this.redis.status === "ready") return
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("Redis did not answer")), 5_000)
      this.redis.once("ready", () => {
        clearTimeout(timer)
        resolve()
      })
    })
  }

  async tryAcquire(holder: string, leaseMs: number): Promise<LeaseGrant | null> {
    const token = await this.redis.eval(ACQUIRE, 2, this.key, this.termKey, holder, leaseMs)
    return token === null ? null : { fencingToken: Number(token) }
  }

  async renew(holder: string, grant: LeaseGrant, leaseMs: number): Promise<boolean> {
    return (await this.redis.eval(RENEW, 1, this.key, `${holder}|${grant.fencingToken}`, leaseMs)) === 1
  }

  async release(holder: string, grant: LeaseGrant): Promise<void> {
    await this.redis.eval(RELEASE, 1, this.key, `${holder}|${grant.fencingToken}`)
  }

  async close(): Promise<void> {
    this.redis.disconnect()
  }
}
