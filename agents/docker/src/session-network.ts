// The bridge networks sessions live on: no traffic between containers, and no way out unless allowed.
import type Docker from "dockerode"
import { DriverError, dockerStatus, fromDocker } from "./errors.ts"
import { LABEL } from "./naming.ts"

const ICC = "com.docker.network.bridge.enable_icc"

/**
 * Creates the network if it is missing and checks an existing one, so that a hand-made network
 * with inter-container traffic on is refused instead of silently letting sessions reach each other.
 */
export async function ensureSessionNetwork(docker: Docker, name: string, allowOutbound: boolean): Promise<void> {
  const existing = await inspectNetwork(docker, name)
  if (existing) return checkNetwork(existing, name, allowOutbound)
  try {
    await docker.createNetwork({
      Name: name,
      Driver: "bridge",
      CheckDuplicate: true,
      Internal: !allowOutbound,
      Options: { [ICC]: "false" },
      Labels: { [LABEL.managed]: "true" },
    })
  } catch (err) {
    // Another start created it first; fall through to the check.
    if (dockerStatus(err) !== 409) throw fromDocker(err, `creating the session network ${name}`)
  }
  const created = await inspectNetwork(docker, name)
  if (!created) throw new DriverError("DOCKER_ERROR", `The session network ${name} vanished right after it was created.`, true)
  checkNetwork(created, name, allowOutbound)
}

async function inspectNetwork(docker: Docker, name: string): Promise<Docker.NetworkInspectInfo | null> {
  try {
    return (await docker.getNetwork(name).inspect()) as Docker.NetworkInspectInfo
  } catch (err) {
    if (dockerStatus(err) === 404) return null
    throw fromDocker(err, `inspecting the session network ${name}`)
  }
}

function checkNetwork(info: Docker.NetworkInspectInfo, name: string, allowOutbound: boolean): void {
  const problems: string[] = []
  if (info.Driver !== "bridge") problems.push(`its driver is ${info.Driver}, not bridge`)
  if (info.Options?.[ICC] !== "false") problems.push(`${ICC} is not "false", so sessions could reach each other`)
  if (!allowOutbound && !info.Internal) problems.push("it is not internal, so sessions could reach the outside")
  if (allowOutbound && info.Internal) problems.push("it is internal, so sessions that may go out could not")
  if (problems.length > 0) {
    throw new DriverError(
      "NETWORK_MISCONFIGURED",
      `The Docker network ${name} cannot hold sessions: ${problems.join("; ")}. Remove it (docker network rm ${name}) and the agent will create it correctly.`,
    )
  }
}
