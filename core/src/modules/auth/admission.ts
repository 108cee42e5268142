// A bounded queue in front of the hooks that hash passwords: a burst waits here, not inside the plugin's deadline.
import { AuthRefused } from "./errors.ts"

/**
 * Argon2id is CPU-bound: running more at once than there are cores only makes each take longer,
 * until a hook passes its deadline, the plugin is stopped and nobody can sign in. Callers past the
 * limit wait their turn for up to `maxWaitMs`, then get a 503 with Retry-After.
 */
export function createAdmission(limit: number, maxWaitMs: number) {
  let running = 0
  const waiting: (() => void)[] = []

  const release = () => {
    const next = waiting.shift()
    if (next) next()
    else running--
  }

  const acquire = (): Promise<void> => {
    if (running < limit) {
      running++
      return Promise.resolve()
    }
    return new Promise((resolve, reject) => {
      const turn = () => {
        clearTimeout(timer)
        resolve()
      }
      const timer = setTimeout(() => {
        waiting.splice(waiting.indexOf(turn), 1)
        reject(new AuthRefused("AUTH_BUSY", "Many sign-ins are in progress. Try again in a moment.", { retryAfterSeconds: 1 }))
      }, maxWaitMs)
      waiting.push(turn)
    })
  }

  return {
    async run<T>(work: () => Promise<T>): Promise<T> {
      await acquire()
      try {
        return await work()
      } finally {
        release()
      }
    },
    get queued() {
      return waiting.length
    },
  }
}
