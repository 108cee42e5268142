// Starts the real control plane as a process for the end-to-end test: a fresh PGlite data dir seeded
// through core's services, a free port, and the built portal served by the control plane itself.
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"

export const REPO = resolve(import.meta.dir, "../..")
const UI = join(REPO, "ui")

export interface ControlPlane {
  url: string
  /** Empty when started without the seed. */
  adminKey: string
  userKey: string
  /** Everything the process printed, for a failing test's message. */
  output(): string
  stop(): Promise<void>
}

/** Newest modification time under a folder (the portal's sources). */
function newest(path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let max = stat.mtimeMs
  for (const entry of new Bun.Glob("**/*").scanSync({ cwd: path, onlyFiles: true }))
    max = Math.max(max, statSync(join(path, entry)).mtimeMs)
  return max
}

/** Builds ui/dist unless it is newer than every source file: the test must see the current portal. */
export function ensurePortalBuilt() {
  let built = 0
  try {
    built = statSync(join(UI, "dist", "index.html")).mtimeMs
  } catch {}
  const sources = Math.max(newest(join(UI, "src")), newest(join(UI, "index.html")), newest(join(UI, "vite.config.ts")))
  if (built > sources) return
  const build = Bun.spawnSync(["bun", "--bun", "vite", "build"], { cwd: UI, stdout: "pipe", stderr: "pipe" })
  if (build.exitCode !== 0) throw new Error(`The portal did not build:\n${build.stdout}\n${build.stderr}`)
}

/**
 * The marketplace the control plane offers points at built bundles (scripts/setup.sh builds them
 * too). A bundle missing or older than marketplace.json's hash would make installs fail, so rebuild.
 */
export function ensurePluginsBuilt() {
  const plugins = join(REPO, "plugins")
  const index = JSON.parse(readFileSync(join(plugins, "marketplace.json"), "utf8")) as {
    plugins: { bundle: string; sha256: string }[]
  }
  const current = index.plugins.every((p) => {
    const bundle = join(plugins, p.bundle)
    return existsSync(bundle) && new Bun.CryptoHasher("sha256").update(readFileSync(bundle)).digest("hex") === p.sha256
  })
  if (current) return
  const build = Bun.spawnSync(["bun", "run", "build:plugins"], { cwd: REPO, stdout: "pipe", stderr: "pipe" })
  if (build.exitCode !== 0) throw new Error(`The first-party plugins did not build:\n${build.stdout}\n${build.stderr}`)
}

export interface ControlPlaneOptions {
  /**
   * Run the all-in-one local Docker agent under this name (real containers from the desktop image);
   * its containers and volumes are removed on stop. Unset: no agent, sessions stay pending.
   */
  dockerAgent?: string
  /** false: a brand-new database, as on a first start (the log prints the setup token). */
  seed?: boolean
  /** A fixed port (e.g. one an OIDC provider already knows for its callback); 0 picks a free one. */
  port?: number
  env?: Record<string, string>
}

async function removeDockerLeftovers(agentName: string) {
  const docker = async (...args: string[]) => {
    const p = Bun.spawn(["docker", ...args], { stdout: "pipe", stderr: "ignore" })
    return (await new Response(p.stdout).text()).trim()
  }
  const containers = await docker("ps", "-aq", "--filter", `label=streamspace.agent=${agentName}`)
  if (containers) await docker("rm", "-f", ...containers.split("\n"))
  const volumes = await docker("volume", "ls", "-q", "--filter", `label=streamspace.agent=${agentName}`)
  if (volumes) await docker("volume", "rm", "-f", ...volumes.split("\n"))
}

export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const dir = mkdtempSync(join(tmpdir(), "streamspace-e2e-"))
  const dataDir = join(dir, "data")
  let keys = { adminKey: "", userKey: "" }
  if (options.seed !== false) {
    const seed = Bun.spawnSync(["bun", "run", join(UI, "e2e", "seed.ts"), dataDir], { cwd: REPO, stdout: "pipe", stderr: "pipe" })
    if (seed.exitCode !== 0) throw new Error(`Seeding the database failed:\n${seed.stderr}`)
    keys = JSON.parse(seed.stdout.toString().trim().split("\n").at(-1) ?? "{}") as typeof keys
  }

  // Without a local Docker agent launched sessions stay pending, whatever this machine runs.
  const env: Record<string, string | undefined> = {
    ...process.env,
    LOCAL_DOCKER_AGENT: options.dockerAgent ? "auto" : "off",
    LOCAL_DOCKER_AGENT_NAME: options.dockerAgent,
    PORT: String(options.port ?? 0),
    HOST: "127.0.0.1",
    DATA_DIR: dataDir,
    LOG_LEVEL: "info",
    ...options.env,
  }
  delete env.DATABASE_URL
  delete env.JWT_SECRET
  const proc = Bun.spawn(["bun", "run", "core/src/main.ts"], { cwd: REPO, env, stdout: "pipe", stderr: "pipe" })

  let output = ""
  const port = await new Promise<number>((resolvePort, reject) => {
    const timer = setTimeout(() => reject(new Error(`The control plane did not become ready in 60 s:\n${output}`)), 60_000)
    const read = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder()
      for await (const chunk of stream) {
        output += decoder.decode(chunk, { stream: true })
        const ready = /"port":(\d+)[^\n]*"msg":"StreamSpace control plane ready"/.exec(output)
        if (ready?.[1]) {
          clearTimeout(timer)
          resolvePort(Number(ready[1]))
        }
      }
    }
    void read(proc.stdout)
    void read(proc.stderr)
    void proc.exited.then((code) => reject(new Error(`The control plane exited with ${code}:\n${output}`)))
  })

  return {
    url: `http://127.0.0.1:${port}`,
    ...keys,
    output: () => output,
    async stop() {
      proc.kill("SIGTERM")
      await proc.exited
      if (options.dockerAgent) await removeDockerLeftovers(options.dockerAgent)
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
