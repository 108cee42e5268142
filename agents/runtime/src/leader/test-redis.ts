// A redis-server of a test's own on a free port: tests that stop or kill Redis never touch the shared one.
import { createServer } from "node:net"

export interface TestRedis {
  url: string
  port: number
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>
  /** Starts it again on the same port (empty: it saves nothing). */
  restart(): Promise<void>
  stop(): Promise<void>
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port
      server.close(() => resolve(port))
    })
  })
}

async function answers(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } })
    socket.end()
    return true
  } catch {
    return false
  }
}

export async function startTestRedis(): Promise<TestRedis> {
  const port = await freePort()
  let proc: ReturnType<typeof Bun.spawn> | null = null
  const launch = async () => {
    proc = Bun.spawn(["redis-server", "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdout: "ignore",
      stderr: "inherit",
    })
    const deadline = Date.now() + 15_000
    while (!(await answers(port))) {
      if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not start within 15 s`)
      await Bun.sleep(20)
    }
  }
  await launch()
  const kill = async () => {
    const p = proc
    proc = null
    if (!p) return
    p.kill("SIGKILL")
    await p.exited
  }
  return { url: `redis://127.0.0.1:${port}`, port, kill, restart: launch, stop: kill }
}
