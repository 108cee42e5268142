// Simulated agents for bench:hub, in their own process: N protocol-v1 WebSocket clients that say hello and heartbeat; nothing else.
// Usage: bun bench/hub-agents.ts <control-plane URL> <tokens file (JSON array)> ; prints "connected N" then runs until killed.
import { readFileSync } from "node:fs"

const [url, tokensFile] = process.argv.slice(2)
if (!url || !tokensFile) throw new Error("usage: bun bench/hub-agents.ts URL TOKENS_FILE")
const tokens = JSON.parse(readFileSync(tokensFile, "utf8")) as string[]
const wsUrl = `${url.replace(/^http/, "ws")}/api/v1/agents/connect`
// Full: placement never picks them, so every command goes to the bench's probe agent.
const capacity = { maxSessions: 1, runningSessions: 1 }
let welcomed = 0
let closed = 0

function connect(token: string, i: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } } as unknown as string[])
    ws.addEventListener("open", () =>
      ws.send(
        JSON.stringify({
          type: "hello",
          protocol: 1,
          instanceId: `sim-${i}`,
          platform: "docker",
          cluster: "default",
          version: "0.0.0-sim",
          capacity,
          leader: true,
        }),
      ),
    )
    ws.addEventListener("message", (e) => {
      const m = JSON.parse(String(e.data)) as { type: string; heartbeatIntervalMs?: number }
      if (m.type !== "welcome") return
      welcomed++
      const every = m.heartbeatIntervalMs ?? 10_000
      const beat = () => ws.send(JSON.stringify({ type: "heartbeat", capacity, leader: true, sessions: [] }))
      // Spread over the interval, as real agents started at different times would be.
      setTimeout(() => setInterval(beat, every), Math.random() * every)
      resolve()
    })
    ws.addEventListener("close", () => {
      closed++
      reject(new Error("closed"))
    })
  })
}

// 50 handshakes at a time: a burst of 2,000 upgrades at once is not what is being measured.
for (let i = 0; i < tokens.length; i += 50) await Promise.all(tokens.slice(i, i + 50).map((t, j) => connect(t, i + j)))
console.log(`connected ${welcomed}`)
setInterval(() => {
  if (closed > 0) console.log(`closed ${closed}`)
}, 5_000)
