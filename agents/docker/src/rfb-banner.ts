// Readiness probe: a session is up once its VNC port sends the RFB version banner.
import { connect } from "node:net"

const BANNER = /^RFB \d{3}\.\d{3}\n$/
const BANNER_BYTES = 12

/** Connects once and resolves with the 12-byte banner, or rejects (refused, closed, timed out, not RFB). */
export function readRfbBanner(host: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port })
    let received = Buffer.alloc(0)
    const finish = (err: Error | null, banner?: string) => {
      clearTimeout(timer)
      socket.destroy()
      if (err) reject(err)
      else resolve(banner ?? "")
    }
    const timer = setTimeout(() => finish(new Error(`no RFB banner from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs)
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk])
      if (received.length < BANNER_BYTES) return
      const banner = received.subarray(0, BANNER_BYTES).toString("latin1")
      finish(
        BANNER.test(banner) ? null : new Error(`${host}:${port} answered ${JSON.stringify(banner)}, not an RFB banner`),
        banner,
      )
    })
    socket.on("error", (err) => finish(err))
    socket.on("close", () => finish(new Error(`${host}:${port} closed before sending an RFB banner`)))
  })
}

export interface WaitForBannerOptions {
  /** Give up at this time (ms since epoch). */
  deadline: number
  /** Asked now and then: false means the server is gone and waiting longer is pointless. */
  stillStarting: () => Promise<boolean>
  pollMs?: number
}

/** Polls until the banner arrives. Rejects with the last connection error, or when stillStarting says no. */
export async function waitForRfbBanner(host: string, port: number, options: WaitForBannerOptions): Promise<void> {
  const pollMs = options.pollMs ?? 10
  let lastError: unknown
  let nextLivenessCheck = Date.now() + 250
  while (Date.now() < options.deadline) {
    try {
      await readRfbBanner(host, port, Math.max(50, Math.min(1000, options.deadline - Date.now())))
      return
    } catch (err) {
      lastError = err
    }
    // A container that died will never answer; asking Docker on every poll would cost more than the poll.
    if (Date.now() >= nextLivenessCheck) {
      if (!(await options.stillStarting())) throw new BannerWaitAborted(lastError)
      nextLivenessCheck = Date.now() + 250
    }
    await Bun.sleep(pollMs)
  }
  throw new BannerTimeout(lastError)
}

export class BannerTimeout extends Error {
  constructor(readonly lastError: unknown) {
    super(
      `no RFB banner before the deadline; last attempt: ${lastError instanceof Error ? lastError.message : String(lastError)}`,
    )
  }
}

export class BannerWaitAborted extends Error {
  constructor(readonly lastError: unknown) {
    super("the VNC server stopped before it answered")
  }
}
