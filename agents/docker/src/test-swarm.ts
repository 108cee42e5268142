// A Docker engine of a test's own in Swarm mode (own socket, data root and no bridge), so Swarm never touches the
// machine's shared engine. Needs root and dockerd, as every Docker test here does.
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import Docker from "dockerode"

export interface TestSwarm {
  socket: string
  docker: Docker
  stop(): Promise<void>
}

/** The engine's default bridge: its own, never docker0 (`--bridge=none` would make dockerd delete the shared one). */
const BRIDGE = "ss-swarm0"
const GATEWAY_BRIDGE = "docker_gwbridge"

async function ip(...args: string[]): Promise<boolean> {
  return (await Bun.spawn(["ip", ...args], { stdout: "ignore", stderr: "ignore" }).exited) === 0
}

export async function startTestSwarm(): Promise<TestSwarm> {
  const dir = mkdtempSync(join(tmpdir(), "streamspace-swarm-"))
  const socket = join(dir, "docker.sock")
  // Swarm makes docker_gwbridge on the host; the shared engine (not in Swarm mode) has none, so ours is removed after.
  const hadGateway = await ip("link", "show", GATEWAY_BRIDGE)
  if (!(await ip("link", "show", BRIDGE))) await ip("link", "add", BRIDGE, "type", "bridge")
  const proc = Bun.spawn(
    [
      "dockerd",
      `--data-root=${join(dir, "root")}`,
      `--exec-root=${join(dir, "exec")}`,
      `--host=unix://${socket}`,
      `--pidfile=${join(dir, "docker.pid")}`,
      `--bridge=${BRIDGE}`,
      "--iptables=false",
      "--ip-masq=false",
      // Far from Docker's usual 172.17+/192.168 pools: nothing it makes can shadow the shared engine's networks.
      "--default-address-pool=base=10.213.0.0/16,size=24",
    ],
    { stdin: "ignore", stdout: "ignore", stderr: "ignore" },
  )
  const docker = new Docker({ socketPath: socket, version: "v1.41" })
  const stop = async () => {
    await docker.swarmLeave({ force: true }).catch(() => {})
    proc.kill("SIGTERM")
    await Promise.race([proc.exited, Bun.sleep(10_000)])
    if (proc.exitCode === null) proc.kill("SIGKILL")
    if (!hadGateway) await ip("link", "delete", GATEWAY_BRIDGE)
    await ip("link", "delete", BRIDGE)
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const deadline = Date.now() + 30_000
    for (;;) {
      if (
        await docker.ping().then(
          () => true,
          () => false,
        )
      )
        break
      if (proc.exitCode !== null) throw new Error(`dockerd exited with ${proc.exitCode}`)
      if (Date.now() > deadline) throw new Error("dockerd did not answer within 30 s")
      await Bun.sleep(50)
    }
    await docker.swarmInit({ ListenAddr: "127.0.0.1:0", AdvertiseAddr: "127.0.0.1" })
  } catch (e) {
    await stop()
    throw e
  }
  return { socket, docker, stop }
}
