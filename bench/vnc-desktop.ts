// The desktop the VNC benchmark measures.
import { startTestDesktop } from "../agents/runtime/src/vnc/test-desktop.ts"
import type { VncPath } from "./vnc-paths.ts"

export async function startBenchDesktop() {
  const desktop = await startTestDesktop(undefined, "1280x800")
  return {
    target: { host: desktop.host, port: desktop.port, password: desktop.password },
    extraPaths: async (): Promise<VncPath[]> => [],
    stop: () => desktop.stop(),
  }
}
