// What the sign-in end-to-end test needs besides a browser: a free port, the setup token from the log, TOTP codes.
import * as OTPAuth from "otpauth"

/** A port nothing listens on right now, so the OIDC provider can know the callback before the control plane starts. */
export function freePort(): number {
  const probe = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response() })
  const port = probe.port as number
  probe.stop(true)
  return port
}

/** Waits until `read()` answers something other than undefined; polls, because the machine may be busy. */
export async function eventually<T>(
  read: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await Bun.sleep(100)
  }
}

export const setupTokenIn = (log: string): string | undefined => /one-time setup token for "[^"]+":\s+(sst_\S+)/.exec(log)?.[1]

/**
 * An authenticator app for one secret. The server accepts each time step once, so every code this
 * hands out is for a later step than the last one (the server's window of ±1 step allows one ahead).
 */
export function authenticator(base32: string) {
  const totp = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(base32), algorithm: "SHA1", digits: 6, period: 30 })
  let lastStep = -1
  return async function nextCode(): Promise<string> {
    let step = Math.max(Math.floor(Date.now() / 30_000), lastStep + 1)
    // More than one step ahead would fall outside the server's window: wait for the clock instead.
    while (step > Math.floor(Date.now() / 30_000) + 1) await Bun.sleep(500)
    step = Math.max(step, Math.floor(Date.now() / 30_000))
    lastStep = step
    return totp.generate({ timestamp: step * 30_000 })
  }
}
