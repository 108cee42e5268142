// A manual clock for unit tests of electors: time moves only when the test says so.
import type { Clock } from "./leader-elector.ts"

interface Timer {
  at: number
  fn: () => void
}

export class TestClock implements Clock {
  private t = 0
  private readonly timers = new Set<Timer>()

  now(): number {
    return this.t
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const timer = { at: this.t + Math.max(0, ms), fn }
    this.timers.add(timer)
    return timer
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as Timer)
  }

  /** Moves time forward by `ms`, firing due timers in order and letting the promises they start settle. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms
    for (;;) {
      await settle()
      const next = [...this.timers].filter((x) => x.at <= end).sort((a, b) => a.at - b.at)[0]
      if (!next) break
      this.timers.delete(next)
      this.t = next.at
      next.fn()
    }
    this.t = end
    await settle()
  }

  /** Moves time without running timers: a process that was paused (SIGSTOP) and sees the time jump on waking. */
  jump(ms: number): void {
    this.t += ms
  }

  get pending(): number {
    return this.timers.size
  }
}

/** Lets chains of already-resolved promises run (a few macrotask turns). */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve))
}
