// Docker calls on one agent's session containers, each tolerating the answers that already mean "done".
import type Docker from "dockerode"
import { tailLogs } from "./container-logs.ts"
import { DriverError, dockerMessage, dockerStatus, fromDocker } from "./errors.ts"
import { LABEL, containerName, ownedBy } from "./naming.ts"

export class SessionContainers {
  constructor(
    private readonly docker: Docker,
    private readonly agentName: string,
  ) {}

  private container(id: string): Docker.Container {
    return this.docker.getContainer(containerName(this.agentName, id))
  }

  async inspect(id: string): Promise<Docker.ContainerInspectInfo | null> {
    try {
      return await this.container(id).inspect()
    } catch (err) {
      if (dockerStatus(err) === 404) return null
      throw fromDocker(err, `inspecting the container of session ${id}`)
    }
  }

  /** Resolves "missing-image" instead of throwing, so the caller decides whether to pull. */
  async create(id: string, options: Docker.ContainerCreateOptions): Promise<"created" | "exists" | "missing-image"> {
    try {
      await this.docker.createContainer(options)
      return "created"
    } catch (err) {
      // A concurrent start (another agent replica) made it first.
      if (dockerStatus(err) === 409) return "exists"
      if (dockerStatus(err) === 404 && /no such image/i.test(dockerMessage(err))) return "missing-image"
      throw fromDocker(err, `creating the container of session ${id}`)
    }
  }

  async pull(image: string): Promise<void> {
    try {
      const stream = await this.docker.pull(image)
      await new Promise<void>((resolve, reject) =>
        this.docker.modem.followProgress(stream, (err: Error | null) => (err ? reject(err) : resolve())),
      )
    } catch (err) {
      throw new DriverError(
        "IMAGE_NOT_FOUND",
        `The image ${image} is not on this Docker host and could not be pulled: ${dockerMessage(err)}. Build or load it, or fix the template's image.`,
        false,
        { cause: err },
      )
    }
  }

  async start(id: string, paused: boolean): Promise<void> {
    try {
      if (paused) await this.container(id).unpause()
      else await this.container(id).start()
    } catch (err) {
      // 304: it is already running, which is what we want.
      if (dockerStatus(err) !== 304) throw fromDocker(err, `starting the container of session ${id}`)
    }
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    try {
      await this.container(id).stop({ t: graceSeconds })
    } catch (err) {
      // 304: already stopped; 404: already gone. Both are the state we want.
      const status = dockerStatus(err)
      if (status !== 304 && status !== 404) throw fromDocker(err, `stopping the container of session ${id}`)
    }
  }

  async remove(id: string): Promise<void> {
    try {
      // The home volume is named, so removing the container (without v) keeps it.
      await this.container(id).remove({ force: true })
    } catch (err) {
      // 404: already gone; 409: Docker is already removing it.
      const status = dockerStatus(err)
      if (status !== 404 && status !== 409) throw fromDocker(err, `removing the container of session ${id}`)
    }
  }

  logs(id: string, lines: number): Promise<string> {
    return tailLogs(this.container(id), lines)
  }

  async listOwned(): Promise<Docker.ContainerInfo[]> {
    try {
      const all = await this.docker.listContainers({ all: true, filters: { label: ownedBy(this.agentName) } })
      return all.filter((c) => c.Labels[LABEL.session] !== undefined)
    } catch (err) {
      throw fromDocker(err, "listing the session containers")
    }
  }
}

export function containerIp(info: Docker.ContainerInspectInfo): string {
  const ip = Object.values(info.NetworkSettings.Networks).find((n) => n.IPAddress)?.IPAddress
  if (!ip) throw new DriverError("DOCKER_ERROR", `The container ${info.Name} has no IP address on its session network.`, true)
  return ip
}

/** vncTarget gets only a session id, so the template's port travels as a label. */
export function vncPortOf(info: Docker.ContainerInspectInfo): number {
  const port = Number(info.Config.Labels[LABEL.vncPort])
  return Number.isInteger(port) && port > 0 ? port : 5900
}
