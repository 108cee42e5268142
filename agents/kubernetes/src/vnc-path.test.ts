// The VNC byte path through the Kubernetes agent: driver.vncTarget (pod from the watch, password from
// the session's Secret) → the runtime's RFB security proxy → a real Xvnc. Pod IPs are data only
// here (fake kubelet), so the pod-address resolver is injected to point at the desktop container.
import { afterAll, beforeAll, expect, test } from "bun:test"
import type { V1Pod } from "@kubernetes/client-node"
import { vncConnector } from "@streamspace/agent-runtime"
import type { Socket, TCPSocketListener } from "bun"
import { RfbClient } from "../../runtime/src/vnc/rfb-client.ts"
import { ensureDesktopImage } from "@streamspace/images"
import type { StreamPeer } from "../../runtime/src/stream-endpoint.ts"
import type { KubernetesSessionDriver } from "./kubernetes-session-driver.ts"
import { sessionObjectName } from "./naming.ts"
import { eventually } from "./testing/eventually.ts"
import { type SessionCluster, sessionSpec, startSessionCluster } from "./testing/session-cluster.ts"

let env: SessionCluster
let driver: KubernetesSessionDriver
let namespace: string
let desktop: { host: string; port: number; stop(): Promise<void> } | undefined
/** Pod IP → where its VNC server really listens. */
const addresses = new Map<string, { host: string; port: number }>()
const resolved: string[] = []

beforeAll(async () => {
  env = await startSessionCluster()
  const made = await env.driver({
    resolvePodAddress: (pod: V1Pod, port: number) => {
      const ip = pod.status?.podIP ?? ""
      resolved.push(`${ip}:${port}`)
      return addresses.get(ip) ?? { host: ip, port }
    },
  })
  driver = made.driver
  namespace = made.ns.sessionNamespace
}, 180_000)
afterAll(async () => {
  await desktop?.stop()
  await env?.stop()
})

async function docker(...args: string[]): Promise<string> {
  const p = Bun.spawn(["docker", ...args], { stdout: "pipe", stderr: "pipe" })
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
  if (code !== 0) throw new Error(`docker ${args.join(" ")} failed (${code}): ${err.trim()}`)
  return out.trim()
}

/** The project's desktop image (real Xvnc, VNC authentication) on a network of this test's own. */
async function startDesktop(password: string) {
  const { image } = await ensureDesktopImage()
  const network = `streamspace-k8s-vnc-${crypto.randomUUID().slice(0, 8)}`
  await docker("network", "create", "--internal", network)
  const id = await docker(
    "run",
    "-d",
    "--rm",
    "--network",
    network,
    "-e",
    `VNC_PASSWORD=${password}`,
    "-e",
    "VNC_GEOMETRY=800x600",
    image,
  )
  const host = await docker("inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", id)
  return {
    host,
    port: 5900,
    async stop() {
      await docker("rm", "-f", id).catch(() => "")
      await docker("network", "rm", network).catch(() => "")
    },
  }
}

/** A TCP listener standing in for the control plane's end of a stream: each viewer gets the agent's connector. */
function viaAgent(sessionId: string) {
  const connect = vncConnector(driver)
  const listener: TCPSocketListener<{ peer: Promise<StreamPeer> | null }> = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket: Socket<{ peer: Promise<StreamPeer> | null }>) {
        const peer = connect(sessionId, { send: (b) => void socket.write(b), close: () => socket.end() }, () => {})
        socket.data = { peer }
        peer.catch(() => socket.end())
      },
      data: (socket, data) => void socket.data.peer?.then((p) => p.write(new Uint8Array(data))),
      close: (socket) => void socket.data.peer?.then((p) => p.close()).catch(() => {}),
    },
    data: { peer: null },
  })
  return listener
}

test("a viewer reaches the session's Xvnc through the agent, which authenticates with the password from the session's Secret", async () => {
  const spec = sessionSpec()
  await driver.start(spec)
  const secret = await env.admin.core.readNamespacedSecret({ name: sessionObjectName(spec.sessionId), namespace })
  const password = Buffer.from(secret.data?.["vnc-password"] ?? "", "base64").toString()
  desktop = await startDesktop(password)
  const target = await driver.vncTarget(spec.sessionId)
  expect(target).not.toBeNull()
  const podIp = resolved.at(-1)?.split(":")[0] ?? ""
  expect(podIp).toMatch(/^10\.244\./)
  addresses.set(podIp, { host: desktop.host, port: desktop.port })

  const listener = viaAgent(spec.sessionId)
  try {
    // The viewer speaks plain RFB with no password: the agent completed VNC authentication for it.
    // Xvnc needs a moment after `docker run`: retry until the handshake through the agent completes.
    const viewer = await eventually(() => RfbClient.tcp("127.0.0.1", listener.port), 30_000, 100)
    expect([viewer.width, viewer.height]).toEqual([800, 600])
    const full = await viewer.update(false)
    expect(full.bytes).toBeGreaterThanOrEqual(800 * 600 * 4)
    viewer.close()
    await viewer.closed
  } finally {
    listener.stop(true)
  }
})

test("no stream for a session that is not running here: hibernated sessions have no VNC target", async () => {
  const spec = sessionSpec()
  await driver.start(spec)
  await driver.hibernate(spec.sessionId)
  const connect = vncConnector(driver)
  const failure = await connect(spec.sessionId, { send: () => {}, close: () => {} }, () => {}).then(
    () => null,
    (e: Error) => e.message,
  )
  expect(failure).toContain("not running")
})
