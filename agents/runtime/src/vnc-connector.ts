// The stream connector agents use: the session's VNC server behind the RFB security proxy, so the VNC secret stays here.
import type { SessionDriver } from "./session-driver.ts"
import type { StreamConnector } from "./stream-endpoint.ts"
import { VncProxy } from "./vnc/vnc-proxy.ts"

export const vncConnector =
  (driver: SessionDriver): StreamConnector =>
  async (sessionId, port, consumed) => {
    const target = await driver.vncTarget(sessionId)
    if (!target) throw new Error("The session is not running on this agent.")
    return new VncProxy(
      target,
      { send: (bytes) => port.send(bytes), close: (error) => port.close(error?.message ?? "the VNC connection ended") },
      { onConsumed: consumed },
    )
  }
