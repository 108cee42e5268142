// For tests: a real desktop session (the project's image: Xvnc with VNC auth) in a throwaway container.
import { ensureDesktopImage } from "@streamspace/images"
import type { VncTarget } from "../session-driver.ts"

export interface TestDesktop extends VncTarget {
  container: string
  /** Runs a command inside the session as its user and returns stdout. */
  exec(...cmd: string[]): Promise<string>
  /** TCP connections the VNC server holds open right now, read from inside the container. */
  vncConnections(): Promise<number>
  stop(): Promise<void>
}

async function run(cmd: string[]): Promise<string> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  if (code !== 0) throw new Error(`${cmd.join(" ")} failed (${code}): ${err.trim()}`)
  return out.trim()
}

/** Resolves once the RFB banner is readable, like the agents' own readiness check. */
async function waitForBanner(host: string, port: number, deadlineMs = 15_000): Promise<void> {
  const until = Date.now() + deadlineMs
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      Bun.connect({
        hostname: host,
        port,
        socket: {
          data: (s, d) => {
            resolve(d.byteLength > 0)
            s.end()
          },
          close: () => resolve(false),
          error: () => resolve(false),
        },
      }).catch(() => resolve(false))
    })
    if (ok) return
    if (Date.now() > until) throw new Error(`No RFB banner from ${host}:${port} within ${deadlineMs} ms.`)
    await Bun.sleep(50)
  }
}

export async function startTestDesktop(
  password = `pw-${crypto.randomUUID().slice(0, 8)}`,
  geometry = "1024x768",
): Promise<TestDesktop> {
  const { image } = await ensureDesktopImage()
  const container = await run([
    "docker",
    "run",
    "-d",
    "--rm",
    "--label",
    "streamspace.test=vnc",
    "-e",
    `VNC_PASSWORD=${password}`,
    "-e",
    `VNC_GEOMETRY=${geometry}`,
    image,
  ])
  const host = await run(["docker", "inspect", "-f", "{{.NetworkSettings.IPAddress}}", container])
  await waitForBanner(host, 5900)
  return {
    host,
    port: 5900,
    password,
    container,
    exec: (...cmd) => run(["docker", "exec", container, ...cmd]),
    async vncConnections() {
      const table = await run(["docker", "exec", container, "cat", "/proc/net/tcp", "/proc/net/tcp6"])
      // local port 5900 (0x170C), state 01 = ESTABLISHED
      return table.split("\n").filter((l) => /^\s*\d+: [0-9A-F]+:170C [0-9A-F]+:[0-9A-F]+ 01 /.test(l)).length
    },
    stop: async () => {
      await run(["docker", "rm", "-f", container]).catch(() => undefined)
    },
  }
}
