// The ways the VNC benchmark reaches one desktop: straight TCP, Debian's websockify, and StreamSpace.
import { RfbClient } from "../agents/runtime/src/vnc/rfb-client.ts"
import type { VncTarget } from "../agents/runtime/src/session-driver.ts"
import type { StackUser, VncStack } from "./vnc-stack.ts"

export interface VncPath {
  name: string
  /** Opens one viewer, handshake done. */
  open(): Promise<RfbClient>
  /** The relay processes between viewer and VNC server, for CPU accounting. */
  relays: { name: string; pid: number }[]
  stop(): Promise<void>
}

export const directPath = (target: VncTarget): VncPath => ({
  name: "direct TCP",
  open: () => RfbClient.tcp(target.host, target.port, { password: target.password }),
  relays: [],
  stop: async () => {},
})

async function untilListening(port: number, deadlineMs = 10_000): Promise<void> {
  const until = Date.now() + deadlineMs
  while (Date.now() < until) {
    const ok = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data: () => {} } }).then(
      (s) => {
        s.end()
        return true
      },
      () => false,
    )
    if (ok) return
    await Bun.sleep(50)
  }
  throw new Error(`Nothing listens on 127.0.0.1:${port} after ${deadlineMs} ms.`)
}

/** Debian's websockify in front of the VNC server; the viewer does VNC authentication itself. */
export async function websockifyPath(target: VncTarget, port: number): Promise<VncPath> {
  const proc = Bun.spawn(["websockify", `127.0.0.1:${port}`, `${target.host}:${target.port}`], {
    stdout: "ignore",
    stderr: "ignore",
  })
  await untilListening(port)
  return {
    name: "websockify",
    open: () => RfbClient.webSocket(`ws://127.0.0.1:${port}/`, { password: target.password }),
    relays: [{ name: "websockify", pid: proc.pid }],
    stop: async () => {
      proc.kill()
      await proc.exited
    },
  }
}

/** StreamSpace's path: browser WebSocket → control plane → agent connection → agent → VNC server. */
export const streamspacePath = (stack: VncStack, owner: StackUser, sessionId: string): VncPath => ({
  name: "streamspace",
  open: async () => RfbClient.webSocket(`${stack.wsBase}${(await owner.ticket(sessionId)).url}`),
  relays: [
    { name: "control plane", pid: stack.cp.core.proc.pid },
    { name: "agent", pid: stack.agent.proc.pid },
  ],
  stop: async () => {},
})
