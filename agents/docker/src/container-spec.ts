// Turns a session spec into Docker's container-create request: limits, labels, home volume, network.
import type Docker from "dockerode"
import type { SessionSpec } from "@streamspace/schemas"
import { LABEL, containerName, homeVolumeName } from "./naming.ts"

export interface ContainerPlan {
  agentName: string
  network: string
  vncPassword: string
  pidsLimit: number
}

/** Variables the driver sets itself; a template cannot override them. */
const RESERVED_ENV = new Set(["VNC_PASSWORD", "VNC_PORT"])

export function containerCreateOptions(spec: SessionSpec, plan: ContainerPlan): Docker.ContainerCreateOptions {
  const owner = {
    [LABEL.managed]: "true",
    [LABEL.agent]: plan.agentName,
    [LABEL.user]: spec.userId,
    [LABEL.template]: spec.templateName,
  }
  const memoryBytes = spec.resources.memory * 1024 * 1024
  const env = Object.entries(spec.env)
    .filter(([key]) => !RESERVED_ENV.has(key))
    .map(([key, value]) => `${key}=${value}`)
  return {
    name: containerName(plan.agentName, spec.sessionId),
    Image: spec.image,
    Hostname: "desktop",
    // The image's entrypoint turns VNC_PASSWORD into a passwd file and drops it from its children's environment.
    Env: [...env, `VNC_PASSWORD=${plan.vncPassword}`, `VNC_PORT=${spec.vncPort}`],
    Labels: { ...owner, [LABEL.session]: spec.sessionId, [LABEL.vncPort]: String(spec.vncPort) },
    HostConfig: {
      NanoCpus: Math.round(spec.resources.cpu * 1e9),
      Memory: memoryBytes,
      // Equal to Memory: no swap on top, so the limit is the limit.
      MemorySwap: memoryBytes,
      PidsLimit: plan.pidsLimit,
      // Xvnc, jwm and xterm run as an ordinary user and need no capability.
      CapDrop: ["ALL"],
      SecurityOpt: ["no-new-privileges"],
      NetworkMode: plan.network,
      RestartPolicy: { Name: "no" },
      Mounts: [
        {
          Type: "volume",
          Source: homeVolumeName(spec.userId, spec.templateName),
          Target: spec.homePath,
          // Docker creates the volume on first use, with these labels and the image's home copied in.
          VolumeOptions: { NoCopy: false, Labels: owner, DriverConfig: { Name: "local", Options: {} } },
        },
      ],
    },
  }
}
