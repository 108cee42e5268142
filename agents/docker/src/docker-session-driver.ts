// SessionDriver on one Docker host: each session is a labelled container from its template's image.
import { KeyedLock } from "../../runtime/src/keyed-lock.ts"
import Docker from "dockerode"
import type { Capacity, SessionReport, SessionSpec } from "@streamspace/schemas"
import type { SessionDriver, VncTarget } from "../../runtime/src/session-driver.ts"
import { containerCreateOptions } from "./container-spec.ts"
import { DriverError } from "./errors.ts"
import { checkAgentName, checkSessionId, checkSpec } from "./input-checks.ts"
import { networkName } from "./naming.ts"
import { BannerTimeout, waitForRfbBanner } from "./rfb-banner.ts"
import { ensureSessionNetwork } from "./session-network.ts"
import { SessionContainers, containerIp, vncPortOf } from "./session-containers.ts"
import { reportFromInspect, reportFromListing } from "./session-report.ts"
import { deriveVncPassword } from "./vnc-password.ts"

export interface DockerSessionDriverOptions {
  /** Secret the per-session VNC passwords derive from; keep it stable across agent restarts. */
  agentSecret: string
  maxSessions: number
  /** Scopes labels and container names, so agents sharing a Docker host leave each other alone. */
  agentName?: string
  /** Default: the local socket, Docker API v1.41. */
  docker?: Docker
  /** Base name of the session networks; `<name>-outbound` holds sessions that may reach the network. */
  network?: string
  pidsLimit?: number
  /** How long a start may wait for the VNC server's banner. */
  readyTimeoutMs?: number
  /** Grace period before Docker kills a stopping session. */
  stopTimeoutSeconds?: number
  /** Pull an image that is not on the host before giving up (on by default). */
  pullMissingImages?: boolean
}

export class DockerSessionDriver implements SessionDriver {
  readonly platform = "docker" as const
  private readonly docker: Docker
  /** One operation at a time per session; one network check at a time per network. */
  private readonly lock = new KeyedLock()
  private readonly containers: SessionContainers
  private readonly networkLock = new KeyedLock()
  private readonly agentSecret: string
  private readonly agentName: string
  private readonly maxSessions: number
  private readonly network: string
  private readonly pidsLimit: number
  private readonly readyTimeoutMs: number
  private readonly stopTimeoutSeconds: number
  private readonly pullMissingImages: boolean

  constructor(options: DockerSessionDriverOptions) {
    if (options.agentSecret.length < 16) {
      throw new DriverError("INVALID_OPTIONS", "agentSecret must be at least 16 characters: VNC passwords derive from it.")
    }
    if (!Number.isInteger(options.maxSessions) || options.maxSessions < 0) {
      throw new DriverError("INVALID_OPTIONS", `maxSessions must be a whole number >= 0, got ${options.maxSessions}.`)
    }
    this.agentSecret = options.agentSecret
    this.maxSessions = options.maxSessions
    this.agentName = checkAgentName(options.agentName ?? "docker")
    this.docker = options.docker ?? new Docker({ socketPath: "/var/run/docker.sock", version: "v1.41" })
    this.containers = new SessionContainers(this.docker, this.agentName)
    this.network = options.network ?? "streamspace-sessions"
    this.pidsLimit = options.pidsLimit ?? 512
    this.readyTimeoutMs = options.readyTimeoutMs ?? 30_000
    this.stopTimeoutSeconds = options.stopTimeoutSeconds ?? 5
    this.pullMissingImages = options.pullMissingImages ?? true
  }

  // Every method is async so that bad input rejects like any other failure instead of throwing synchronously.
  async start(spec: SessionSpec): Promise<SessionReport> {
    const checked = checkSpec(spec)
    return this.lock.run(checked.sessionId, () => this.startLocked(checked))
  }

  /** Same path as start: a stopped container is started again, a vanished one recreated (the home volume kept the files). */
  async wake(spec: SessionSpec): Promise<SessionReport> {
    return this.start(spec)
  }

  async stop(sessionId: string): Promise<SessionReport> {
    const id = checkSessionId(sessionId)
    return this.lock.run(id, async () => {
      await this.containers.stop(id, this.stopTimeoutSeconds)
      await this.containers.remove(id)
      return { sessionId: id, state: "stopped" }
    })
  }

  async hibernate(sessionId: string): Promise<SessionReport> {
    const id = checkSessionId(sessionId)
    return this.lock.run(id, async () => {
      if (!(await this.containers.inspect(id))) throw notFound(id)
      await this.containers.stop(id, this.stopTimeoutSeconds)
      return { sessionId: id, state: "hibernated" }
    })
  }

  async status(sessionId: string): Promise<SessionReport | null> {
    const id = checkSessionId(sessionId)
    const info = await this.containers.inspect(id)
    return info ? reportFromInspect(id, info) : null
  }

  async list(): Promise<SessionReport[]> {
    return (await this.containers.listOwned()).map(reportFromListing)
  }

  async reconcile(known: readonly string[]): Promise<SessionReport[]> {
    const wanted = new Set(known)
    const reports: SessionReport[] = []
    const found = new Set<string>()
    for (const listing of await this.containers.listOwned()) {
      const report = reportFromListing(listing)
      found.add(report.sessionId)
      if (wanted.has(report.sessionId)) {
        reports.push(report)
        continue
      }
      // Nobody knows this session any more: its container only holds resources.
      await this.lock.run(report.sessionId, () => this.containers.remove(report.sessionId))
      reports.push({ sessionId: report.sessionId, state: "stopped", reason: "removed: no known session owns this container" })
    }
    for (const id of wanted) {
      if (!found.has(id))
        reports.push({ sessionId: id, state: "failed", reason: "the session's container vanished from the Docker host" })
    }
    return reports
  }

  async capacity(): Promise<Capacity> {
    const running = (await this.containers.listOwned()).filter((c) => c.State === "running").length
    return { maxSessions: this.maxSessions, runningSessions: running }
  }

  async vncTarget(sessionId: string): Promise<VncTarget | null> {
    const id = checkSessionId(sessionId)
    const info = await this.containers.inspect(id)
    if (!info?.State.Running) return null
    return { host: containerIp(info), port: vncPortOf(info), password: deriveVncPassword(this.agentSecret, id) }
  }

  private async startLocked(spec: SessionSpec): Promise<SessionReport> {
    const id = spec.sessionId
    let info = await this.containers.inspect(id)
    if (!info) await this.create(spec)
    if (!info?.State.Running || info.State.Paused) {
      await this.containers.start(id, info?.State.Paused === true)
      info = await this.containers.inspect(id)
      if (!info) throw new DriverError("SESSION_EXITED", `The container of session ${id} was removed while it started.`, true)
      // A process that dies at once (a bad setting) takes the container's address with it: say why it ended.
      if (!info.State.Running) throw await this.exited(id, info)
    }
    await this.waitUntilReady(id, containerIp(info), vncPortOf(info))
    return { sessionId: id, state: "running" }
  }

  /** The session's container stopped before its desktop answered: the reason Docker gives, and its last output. */
  private async exited(id: string, info: Docker.ContainerInspectInfo | null): Promise<DriverError> {
    const logs = await this.containers.logs(id, 20)
    const tail = logs ? ` Last output:\n${logs}` : ""
    const why = info ? reportFromInspect(id, info).reason : "its container was removed"
    return new DriverError("SESSION_EXITED", `Session ${id} stopped before its VNC server answered: ${why}.${tail}`)
  }

  private async create(spec: SessionSpec): Promise<void> {
    const network = networkName(this.network, spec.allowOutbound)
    // Docker's duplicate-name check races: two concurrent creates can make two networks of one name.
    await this.networkLock.run(network, () => ensureSessionNetwork(this.docker, network, spec.allowOutbound))
    const options = containerCreateOptions(spec, {
      agentName: this.agentName,
      network,
      vncPassword: deriveVncPassword(this.agentSecret, spec.sessionId),
      pidsLimit: this.pidsLimit,
    })
    if ((await this.containers.create(spec.sessionId, options)) !== "missing-image") return
    if (!this.pullMissingImages) {
      throw new DriverError(
        "IMAGE_NOT_FOUND",
        `The image ${spec.image} is not on this Docker host. Build or load it, or fix the template's image.`,
      )
    }
    await this.containers.pull(spec.image)
    if ((await this.containers.create(spec.sessionId, options)) === "missing-image") {
      throw new DriverError("IMAGE_NOT_FOUND", `The image ${spec.image} was pulled but Docker still cannot find it.`, true)
    }
  }

  private async waitUntilReady(id: string, host: string, port: number): Promise<void> {
    try {
      await waitForRfbBanner(host, port, {
        deadline: Date.now() + this.readyTimeoutMs,
        stillStarting: async () => (await this.containers.inspect(id))?.State.Running === true,
      })
    } catch (err) {
      if (err instanceof BannerTimeout) {
        const logs = await this.containers.logs(id, 20)
        const tail = logs ? ` Last output:\n${logs}` : ""
        const message = `Session ${id} did not answer on VNC port ${port} within ${this.readyTimeoutMs} ms.${tail}`
        throw new DriverError("VNC_TIMEOUT", message, true)
      }
      throw await this.exited(id, await this.containers.inspect(id))
    }
  }
}

const notFound = (id: string) =>
  new DriverError("SESSION_NOT_FOUND", `Session ${id} has no container on this Docker host; start it again.`)
