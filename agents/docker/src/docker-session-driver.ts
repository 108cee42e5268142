// SessionDriver on one Docker host: each session is a labelled container from its template's image.
import Docker from "dockerode"
import type { Capacity, SessionReport, SessionSpec } from "@streamspace/schemas"
import type { SessionDriver, VncTarget } from "../../runtime/src/session-driver.ts"
import { containerCreateOptions } from "./container-spec.ts"
import { tailLogs } from "./container-logs.ts"
import { KeyedLock } from "./keyed-lock.ts"
import { DriverError, dockerMessage, dockerStatus, fromDocker } from "./errors.ts"
import { checkAgentName, checkSessionId, checkSpec } from "./input-checks.ts"
import { LABEL, containerName, networkName, ownedBy } from "./naming.ts"
import { BannerTimeout, waitForRfbBanner } from "./rfb-banner.ts"
import { ensureSessionNetwork } from "./session-network.ts"
import { exitCodeFromStatusLine, reportFromState } from "./session-report.ts"
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
      await this.stopContainer(id)
      await this.removeContainer(id)
      return { sessionId: id, state: "stopped" }
    })
  }

  async hibernate(sessionId: string): Promise<SessionReport> {
    const id = checkSessionId(sessionId)
    return this.lock.run(id, async () => {
      if (!(await this.inspect(id))) throw notFound(id)
      await this.stopContainer(id)
      return { sessionId: id, state: "hibernated" }
    })
  }

  async status(sessionId: string): Promise<SessionReport | null> {
    const id = checkSessionId(sessionId)
    const info = await this.inspect(id)
    return info ? reportFromInspect(id, info) : null
  }

  async list(): Promise<SessionReport[]> {
    return (await this.listOwned()).map(reportFromListing)
  }

  async reconcile(known: readonly string[]): Promise<SessionReport[]> {
    const wanted = new Set(known)
    const reports: SessionReport[] = []
    const found = new Set<string>()
    for (const listing of await this.listOwned()) {
      const report = reportFromListing(listing)
      found.add(report.sessionId)
      if (wanted.has(report.sessionId)) {
        reports.push(report)
        continue
      }
      // Nobody knows this session any more: its container only holds resources.
      await this.lock.run(report.sessionId, () => this.removeContainer(report.sessionId))
      reports.push({ sessionId: report.sessionId, state: "stopped", reason: "removed: no known session owns this container" })
    }
    for (const id of wanted) {
      if (!found.has(id))
        reports.push({ sessionId: id, state: "failed", reason: "the session's container vanished from the Docker host" })
    }
    return reports
  }

  async capacity(): Promise<Capacity> {
    const running = (await this.listOwned()).filter((c) => c.State === "running").length
    return { maxSessions: this.maxSessions, runningSessions: running }
  }

  async vncTarget(sessionId: string): Promise<VncTarget | null> {
    const id = checkSessionId(sessionId)
    const info = await this.inspect(id)
    if (!info?.State.Running) return null
    return { host: containerIp(info), port: vncPortOf(info), password: deriveVncPassword(this.agentSecret, id) }
  }

  private async startLocked(spec: SessionSpec): Promise<SessionReport> {
    const id = spec.sessionId
    let info = await this.inspect(id)
    if (!info) await this.create(spec)
    if (!info?.State.Running || info.State.Paused) {
      await this.startContainer(id, info?.State.Paused === true)
      info = await this.inspect(id)
      if (!info) throw new DriverError("SESSION_EXITED", `The container of session ${id} was removed while it started.`, true)
    }
    await this.waitUntilReady(id, containerIp(info), vncPortOf(info))
    return { sessionId: id, state: "running" }
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
    try {
      await this.docker.createContainer(options)
    } catch (err) {
      // A concurrent start (another agent replica) made it first: adopt theirs.
      if (dockerStatus(err) === 409) return
      if (!isMissingImage(err)) throw fromDocker(err, `creating the container of session ${spec.sessionId}`)
      await this.pull(spec.image, err)
      await this.docker.createContainer(options).catch((again: unknown) => {
        throw fromDocker(again, `creating the container of session ${spec.sessionId}`)
      })
    }
  }

  private async pull(image: string, missing: unknown): Promise<void> {
    const notHere = `The image ${image} is not on this Docker host`
    if (!this.pullMissingImages) {
      throw new DriverError(
        "IMAGE_NOT_FOUND",
        `${notHere}. Build or load it, or fix the template's image. (${dockerMessage(missing)})`,
      )
    }
    try {
      const stream = await this.docker.pull(image)
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      )
    } catch (err) {
      throw new DriverError(
        "IMAGE_NOT_FOUND",
        `${notHere} and could not be pulled: ${dockerMessage(err)}. Build or load it, or fix the template's image.`,
        false,
        { cause: err },
      )
    }
  }

  private async startContainer(id: string, paused: boolean): Promise<void> {
    const container = this.docker.getContainer(containerName(this.agentName, id))
    try {
      if (paused) await container.unpause()
      else await container.start()
    } catch (err) {
      // 304: it is already running, which is what we want.
      if (dockerStatus(err) !== 304) throw fromDocker(err, `starting the container of session ${id}`)
    }
  }

  private async waitUntilReady(id: string, host: string, port: number): Promise<void> {
    const container = this.docker.getContainer(containerName(this.agentName, id))
    try {
      await waitForRfbBanner(host, port, {
        deadline: Date.now() + this.readyTimeoutMs,
        stillStarting: async () => (await this.inspect(id))?.State.Running === true,
      })
    } catch (err) {
      const logs = await tailLogs(container, 20)
      const tail = logs ? ` Last output:\n${logs}` : ""
      if (err instanceof BannerTimeout) {
        throw new DriverError(
          "VNC_TIMEOUT",
          `Session ${id} did not answer on VNC port ${port} within ${this.readyTimeoutMs} ms.${tail}`,
          true,
        )
      }
      const info = await this.inspect(id)
      const why = info ? reportFromInspect(id, info).reason : "its container was removed"
      throw new DriverError("SESSION_EXITED", `Session ${id} stopped before its VNC server answered: ${why}.${tail}`)
    }
  }

  private async stopContainer(id: string): Promise<void> {
    try {
      await this.docker.getContainer(containerName(this.agentName, id)).stop({ t: this.stopTimeoutSeconds })
    } catch (err) {
      // 304: already stopped; 404: already gone. Both are the state we want.
      const status = dockerStatus(err)
      if (status !== 304 && status !== 404) throw fromDocker(err, `stopping the container of session ${id}`)
    }
  }

  private async removeContainer(id: string): Promise<void> {
    try {
      // The home volume is named, so removing the container (without v) keeps it.
      await this.docker.getContainer(containerName(this.agentName, id)).remove({ force: true })
    } catch (err) {
      // 404: already gone; 409: Docker is already removing it.
      const status = dockerStatus(err)
      if (status !== 404 && status !== 409) throw fromDocker(err, `removing the container of session ${id}`)
    }
  }

  private async inspect(id: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.docker.getContainer(containerName(this.agentName, id)).inspect()
    } catch (err) {
      if (dockerStatus(err) === 404) return null
      throw fromDocker(err, `inspecting the container of session ${id}`)
    }
  }

  private async listOwned(): Promise<Docker.ContainerInfo[]> {
    try {
      const all = await this.docker.listContainers({ all: true, filters: { label: ownedBy(this.agentName) } })
      return all.filter((c) => c.Labels[LABEL.session] !== undefined)
    } catch (err) {
      throw fromDocker(err, "listing the session containers")
    }
  }
}

const notFound = (id: string) =>
  new DriverError("SESSION_NOT_FOUND", `Session ${id} has no container on this Docker host; start it again.`)

const isMissingImage = (err: unknown) => dockerStatus(err) === 404 && /no such image/i.test(dockerMessage(err))

function reportFromInspect(id: string, info: Docker.ContainerInspectInfo): SessionReport {
  const s = info.State
  return reportFromState(id, { status: s.Status, exitCode: s.ExitCode, oomKilled: s.OOMKilled, error: s.Error || undefined })
}

function reportFromListing(c: Docker.ContainerInfo): SessionReport {
  return reportFromState(c.Labels[LABEL.session] ?? "", { status: c.State, exitCode: exitCodeFromStatusLine(c.Status) })
}

function containerIp(info: Docker.ContainerInspectInfo): string {
  const ip = Object.values(info.NetworkSettings.Networks).find((n) => n.IPAddress)?.IPAddress
  if (!ip) throw new DriverError("DOCKER_ERROR", `The container ${info.Name} has no IP address on its session network.`, true)
  return ip
}

function vncPortOf(info: Docker.ContainerInspectInfo): number {
  const port = Number(info.Config.Labels[LABEL.vncPort])
  return Number.isInteger(port) && port > 0 ? port : 5900
}
