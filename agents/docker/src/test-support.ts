// For the driver's tests: the real desktop image, a driver scoped to one test run, a small VNC client.
import { createCipheriv, randomUUID } from "node:crypto"
import { connect, type Socket } from "node:net"
import Docker from "dockerode"
import { ensureDesktopImage } from "@streamspace/images"
import type { SessionSpec } from "@streamspace/schemas"
import { DockerSessionDriver, type DockerSessionDriverOptions } from "./docker-session-driver.ts"
import { LABEL } from "./naming.ts"

export const docker = new Docker({ socketPath: "/var/run/docker.sock", version: "v1.41" })

let image: Promise<string> | undefined
/** Builds the desktop image once per test process (seconds when cached, minutes from cold). */
export const desktopImage = (): Promise<string> => {
  image ??= ensureDesktopImage().then((built) => built.image)
  return image
}

/** A driver whose agent name, and so every label and name it makes, belongs to this test run only. */
export function testDriver(overrides: Partial<DockerSessionDriverOptions> = {}) {
  const run = randomUUID().slice(0, 8)
  const options: DockerSessionDriverOptions = {
    agentSecret: "test agent secret, long enough",
    maxSessions: 10,
    agentName: `test-${run}`,
    network: `streamspace-test-${run}`,
    docker,
    ...overrides,
  }
  return { driver: new DockerSessionDriver(options), options, cleanup: () => removeTestResources(options) }
}

export async function removeTestResources(options: DockerSessionDriverOptions): Promise<void> {
  const owned = { label: [`${LABEL.agent}=${options.agentName}`] }
  for (const c of await docker.listContainers({ all: true, filters: owned })) {
    await docker.getContainer(c.Id).remove({ force: true })
  }
  const { Volumes } = await docker.listVolumes({ filters: owned })
  for (const v of Volumes) await docker.getVolume(v.Name).remove()
  const base = options.network ?? ""
  for (const n of await docker.listNetworks({ filters: { name: [base] } })) {
    if (n.Name.startsWith(base)) await docker.getNetwork(n.Id).remove()
  }
}

export function sessionSpec(image: string, overrides: Partial<SessionSpec> = {}): SessionSpec {
  return {
    sessionId: randomUUID(),
    userId: randomUUID(),
    username: "ada",
    templateName: "desktop",
    image,
    vncPort: 5900,
    resources: { cpu: 0.5, memory: 256 },
    env: {},
    homePath: "/home/user",
    allowOutbound: false,
    ...overrides,
  }
}

export function containerOf(options: DockerSessionDriverOptions, sessionId: string): string {
  return `streamspace-${options.agentName}-${sessionId}`
}

/** Runs a command inside a container as its own user, the way a process of that session would. */
export function execIn(container: string, script: string): { exitCode: number; stdout: string } {
  const out = Bun.spawnSync(["docker", "exec", container, "bash", "-c", script])
  return { exitCode: out.exitCode, stdout: out.stdout.toString().trim() }
}

/** A TCP connection read in exact byte counts. */
class ByteReader {
  private buffered = Buffer.alloc(0)
  private waiter: (() => void) | undefined
  private ended = false
  constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk])
      this.waiter?.()
    })
    socket.on("close", () => {
      this.ended = true
      this.waiter?.()
    })
  }
  async read(n: number): Promise<Buffer> {
    while (this.buffered.length < n) {
      if (this.ended) throw new Error(`connection closed after ${this.buffered.length} of ${n} bytes`)
      await new Promise<void>((resolve) => {
        this.waiter = resolve
      })
    }
    const out = this.buffered.subarray(0, n)
    this.buffered = this.buffered.subarray(n)
    return out
  }
}

export interface VncHandshake {
  banner: string
  securityTypes: number[]
  /** The SecurityResult word after VNC authentication: 0 is success. Undefined if type 2 was not offered. */
  authResult?: number
}

/** RFB 3.8 up to SecurityResult, answering the VNC-auth challenge with `password`. */
export async function vncHandshake(host: string, port: number, password: string): Promise<VncHandshake> {
  const socket = connect({ host, port })
  const reader = new ByteReader(socket)
  try {
    const banner = (await reader.read(12)).toString("latin1")
    socket.write("RFB 003.008\n")
    const count = (await reader.read(1))[0] ?? 0
    const securityTypes = [...(await reader.read(count))]
    if (!securityTypes.includes(2)) return { banner, securityTypes }
    socket.write(Buffer.from([2]))
    const challenge = await reader.read(16)
    socket.write(vncAuthResponse(challenge, password))
    return { banner, securityTypes, authResult: (await reader.read(4)).readUInt32BE(0) }
  } finally {
    socket.destroy()
  }
}

/** VNC authentication: DES-encrypt the challenge with the password, each key byte bit-reversed. */
function vncAuthResponse(challenge: Buffer, password: string): Buffer {
  const key = Buffer.alloc(8)
  Buffer.from(password, "latin1").copy(key, 0, 0, 8)
  for (let i = 0; i < 8; i++) {
    let b = key[i] ?? 0
    let r = 0
    for (let bit = 0; bit < 8; bit++) {
      r = (r << 1) | (b & 1)
      b >>= 1
    }
    key[i] = r
  }
  const cipher = createCipheriv("des-ecb", key, null).setAutoPadding(false)
  return Buffer.concat([cipher.update(challenge), cipher.final()])
}
