// A lease store in this process's memory, on an injected clock: several electors in one test share it.
import type { Clock, LeaseBackend, LeaseGrant } from "./leader-elector.ts"

export class MemoryLeaseStore {
  holder: string | null = null
  token = 0
  expiresAt = 0
  /** While true every call throws, as an unreachable store would. */
  down = false

  constructor(private readonly clock: Clock) {}

  backend(): LeaseBackend {
    const check = () => {
      if (this.down) throw new Error("lease store unreachable")
    }
    return {
      kind: "memory",
      tryAcquire: async (holder: string, leaseMs: number): Promise<LeaseGrant | null> => {
        check()
        if (this.holder !== null && this.holder !== holder && this.clock.now() < this.expiresAt) return null
        this.holder = holder
        this.token++
        this.expiresAt = this.clock.now() + leaseMs
        return { fencingToken: this.token }
      },
      renew: async (holder: string, grant: LeaseGrant, leaseMs: number): Promise<boolean> => {
        check()
        if (this.holder !== holder || this.token !== grant.fencingToken || this.clock.now() >= this.expiresAt) return false
        this.expiresAt = this.clock.now() + leaseMs
        return true
      },
      release: async (holder: string, grant: LeaseGrant): Promise<void> => {
        check()
        if (this.holder === holder && this.token === grant.fencingToken) this.holder = null
      },
    }
  }
}
