// Leader lease in a file on one host (replicas share the path, e.g. a bind-mounted directory).
//
// The lease file holds {holder, token, expiresAt}: a holder that stops renewing (dead, hung or paused) loses it once
// expiresAt passes, like the Redis lease. Every read-modify-write of it happens under flock(2) on a side file, held
// only for a synchronous read and write (no await inside), so a process that dies mid-way frees it at once.
// The token persists in the file across releases and is raised to the clock, so terms only grow.
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from "node:fs"
import { dirname } from "node:path"
import { tryLockExclusive, unlock } from "./flock.ts"
import type { LeaseBackend, LeaseGrant } from "./leader-elector.ts"

interface LeaseRecord {
  holder: string | null
  token: number
  /** Wall-clock ms (one host, one clock). */
  expiresAt: number
}

export class FileLease implements LeaseBackend {
  readonly kind = "file"
  private readonly mutexPath: string

  constructor(
    private readonly path: string,
    /** Wall clock; tests move it. */
    private readonly now: () => number = Date.now,
  ) {
    this.mutexPath = `${path}.mutex`
    mkdirSync(dirname(path), { recursive: true })
  }

  async tryAcquire(holder: string, leaseMs: number): Promise<LeaseGrant | null> {
    return this.locked((lease) => {
      if (lease.holder !== null && lease.holder !== holder && this.now() < lease.expiresAt) return null
      // Raised to the clock in ms: a lease file that was deleted still yields terms above every old one.
      const token = Math.max(lease.token + 1, Date.now())
      this.write({ holder, token, expiresAt: this.now() + leaseMs })
      return { fencingToken: token }
    })
  }

  async renew(holder: string, grant: LeaseGrant, leaseMs: number): Promise<boolean> {
    return this.locked((lease) => {
      if (lease.holder !== holder || lease.token !== grant.fencingToken || this.now() >= lease.expiresAt) return false
      this.write({ holder, token: lease.token, expiresAt: this.now() + leaseMs })
      return true
    })
  }

  async release(holder: string, grant: LeaseGrant): Promise<void> {
    this.locked((lease) => {
      if (lease.holder === holder && lease.token === grant.fencingToken) this.write({ ...lease, holder: null, expiresAt: 0 })
      return true
    })
  }

  /** Runs `fn` on the current record under the mutex; another process inside it counts as "try again later". */
  private locked<T>(fn: (lease: LeaseRecord) => T): T {
    const fd = openSync(this.mutexPath, "a", 0o600)
    try {
      if (!tryLockExclusive(fd)) throw new Error(`the lease file ${this.path} is busy`)
      try {
        return fn(this.read())
      } finally {
        unlock(fd)
      }
    } finally {
      closeSync(fd)
    }
  }

  private read(): LeaseRecord {
    if (!existsSync(this.path)) return { holder: null, token: 0, expiresAt: 0 }
    const parsed = JSON.parse(readFileSync(this.path, "utf8")) as Partial<LeaseRecord>
    return {
      holder: typeof parsed.holder === "string" ? parsed.holder : null,
      token: Number.isSafeInteger(parsed.token) ? (parsed.token as number) : 0,
      expiresAt: typeof parsed.expiresAt === "number" ? parsed.expiresAt : 0,
    }
  }

  /** Whole-file replace: a reader never sees half a record. */
  private write(lease: LeaseRecord): void {
    const tmp = `${this.path}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify(lease), { mode: 0o600 })
    renameSync(tmp, this.path)
  }
}
