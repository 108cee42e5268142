// All-in-one start: where a Docker socket exists, the control plane registers and runs a local Docker agent itself.
import { existsSync } from "node:fs"
import { hostname } from "node:os"
import { join, resolve } from "node:path"
import { ensureDesktopImage } from "@streamspace/images"
import type { CoreDeps } from "./deps.ts"
import { RELAY_ALLOCATOR_ENV } from "./infra/allocator-env.ts"
import { findAgentByName, registerAgent, rotateAgentToken } from "./modules/agents/service.ts"

// Started as a program, not imported: core never imports agents/ (DESIGN §2).
const AGENT_MAIN = join(import.meta.dir, "..", "..", "agents", "docker", "src", "main.ts")
/** The agent exits 2 for bad configuration and 3 when refused: restarting would not help. */
const FINAL_EXIT_CODES = new Set([0, 2, 3])

export interface LocalAgentOptions {
  /** Registered under this name; it also scopes the agent's containers on the Docker host. */
  name: string
  /** Where the agent reaches this control plane. */
  url: string
  dockerSocket: string
  dataDir: string
  logLevel: string
}

export interface LocalAgent {
  stop(): Promise<void>
}

/**
 * The token is stored hashed like any agent's: a fresh one is issued at every start (the old one
 * stops working) and handed to the agent through its environment only.
 */
async function localAgentToken(deps: CoreDeps, name: string): Promise<string | null> {
  const existing = await findAgentByName(deps, name)
  if (existing?.status === "revoked") return null
  const agent = existing ? await rotateAgentToken(deps, existing.id) : await registerAgent(deps, { name, platform: "docker" })
  return agent.token
}

export async function startLocalDockerAgent(deps: CoreDeps, options: LocalAgentOptions): Promise<LocalAgent | null> {
  const log = deps.log.child({ module: "local-agent" })
  if (!existsSync(options.dockerSocket)) {
    log.info(
      { socket: options.dockerSocket },
      "no Docker socket here; no local agent (set LOCAL_DOCKER_AGENT=off to silence this)",
    )
    return null
  }
  const token = await localAgentToken(deps, options.name)
  if (!token) {
    log.warn(`the agent ${options.name} is revoked; the local agent stays off until it is registered again`)
    return null
  }
  // The default catalog's image is built here when missing (~2 minutes once, then cached); sessions wait pending meanwhile.
  const image = await ensureDesktopImage({ onProgress: (line) => log.info({ line }, "desktop image") }).catch((err: Error) => {
    log.error({ err: err.message }, "the desktop image could not be built; sessions of the default catalog will fail")
    return null
  })
  if (image) log.info({ image: image.image, built: image.built }, "desktop image ready")

  let stopping = false
  let child: ReturnType<typeof Bun.spawn> | null = null
  const spawn = () => {
    child = Bun.spawn(["bun", AGENT_MAIN], {
      env: {
        // The allocator default first: a value this process was started with wins.
        ...RELAY_ALLOCATOR_ENV,
        ...process.env,
        STREAMSPACE_URLS: options.url,
        STREAMSPACE_AGENT_TOKEN: token,
        AGENT_NAME: options.name,
        AGENT_INSTANCE_ID: hostname(),
        AGENT_SECRET_FILE: resolve(options.dataDir, "local-agent-secret"),
        DOCKER_SOCKET: options.dockerSocket,
        LOG_LEVEL: options.logLevel,
      },
      stdin: "ignore",
      stdout: "inherit",
      stderr: "inherit",
    })
    log.info({ pid: child.pid }, "local Docker agent started")
    void child.exited.then((code) => {
      if (stopping) return
      if (FINAL_EXIT_CODES.has(code)) return log.error({ code }, "the local Docker agent exited and stays down")
      log.warn({ code }, "the local Docker agent exited; restarting it in 1 s")
      setTimeout(() => !stopping && spawn(), 1_000)
    })
  }
  spawn()
  return {
    async stop() {
      stopping = true
      const running = child
      if (!running) return
      running.kill("SIGTERM")
      await Promise.race([running.exited, Bun.sleep(5_000)])
    },
  }
}
