// The readiness probe against real TCP servers on loopback: one that speaks RFB, one that does not.
import { afterAll, expect, test } from "bun:test"
import { type Server, createServer } from "node:net"
import { BannerTimeout, BannerWaitAborted, readRfbBanner, waitForRfbBanner } from "./rfb-banner.ts"

const servers: Server[] = []
afterAll(() => {
  for (const s of servers) s.close()
})

async function listen(onConnect: (write: (data: string) => void) => void): Promise<number> {
  const server = createServer((socket) => onConnect((data) => socket.write(data)))
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("no TCP address")
  return address.port
}

test("a server that sends the RFB banner counts as ready, even in two pieces", async () => {
  const port = await listen((write) => {
    write("RFB 003")
    setTimeout(() => write(".008\n"), 20)
  })
  expect(await readRfbBanner("127.0.0.1", port, 1000)).toBe("RFB 003.008\n")
})

test("a server that speaks something else is not mistaken for VNC", async () => {
  const port = await listen((write) => write("SSH-2.0-OpenSSH_9\r\n"))
  await expect(readRfbBanner("127.0.0.1", port, 1000)).rejects.toThrow(/not an RFB banner/)
})

test("waiting ends at the deadline with the last reason when nothing listens", async () => {
  const port = await listen(() => {})
  servers.at(-1)?.close()
  const wait = waitForRfbBanner("127.0.0.1", port, { deadline: Date.now() + 300, stillStarting: async () => true })
  await expect(wait).rejects.toBeInstanceOf(BannerTimeout)
})

test("waiting stops early once the server is known to be gone", async () => {
  const port = await listen(() => {})
  servers.at(-1)?.close()
  const started = Date.now()
  const wait = waitForRfbBanner("127.0.0.1", port, { deadline: Date.now() + 10_000, stillStarting: async () => false })
  await expect(wait).rejects.toBeInstanceOf(BannerWaitAborted)
  expect(Date.now() - started).toBeLessThan(2000)
})
