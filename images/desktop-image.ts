// Ensures the desktop session image exists on the local Docker engine, building it on first use.
import { join } from "node:path"

/** The tag the default catalog uses; build-local.sh moves it to each new build. */
export const DESKTOP_IMAGE = "streamspace/desktop:latest"

export interface DesktopImage {
  /** The content-hash tag, e.g. streamspace/desktop:5372b9378eea. */
  image: string
  /** False when an image of this recipe already existed. */
  built: boolean
}

export interface EnsureDesktopImageOptions {
  /** Receives each progress line of the build as it happens. */
  onProgress?: (line: string) => void
  /** Where the debootstrap root and the .debs are kept (default /var/cache/streamspace). */
  cacheDir?: string
}

export class DesktopImageBuildFailed extends Error {
  readonly code = "IMAGE_BUILD_FAILED"
  constructor(detail: string) {
    super(`The desktop image could not be built: ${detail}`)
  }
}

const script = join(import.meta.dir, "build-local.sh")

/** Builds (or finds, by recipe hash) streamspace/desktop and resolves with its tag. */
export async function ensureDesktopImage(options: EnsureDesktopImageOptions = {}): Promise<DesktopImage> {
  const env: Record<string, string | undefined> = { ...process.env }
  if (options.cacheDir) env.STREAMSPACE_CACHE_DIR = options.cacheDir
  const child = Bun.spawn(["bash", script], { env, stdout: "pipe", stderr: "pipe", stdin: "ignore" })
  const lines: string[] = []
  const onLine = (line: string) => {
    lines.push(line)
    if (lines.length > 50) lines.shift()
    options.onProgress?.(line)
  }
  const [code] = await Promise.all([child.exited, forEachLine(child.stdout, onLine), forEachLine(child.stderr, onLine)])
  const ready = lines.map((l) => /^\[desktop-image\] ready (\S+) \((cached|built)/.exec(l)).find((m) => m !== null)
  if (code !== 0 || !ready?.[1]) {
    const reason = lines.findLast((l) => l.includes("error:")) ?? lines.at(-1) ?? "no output"
    throw new DesktopImageBuildFailed(`${reason} (exit code ${code})`)
  }
  return { image: ready[1], built: ready[2] === "built" }
}

async function forEachLine(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
  const decoder = new TextDecoder()
  const reader = stream.getReader()
  let rest = ""
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
    const parts = (rest + decoder.decode(chunk.value, { stream: true })).split("\n")
    rest = parts.pop() ?? ""
    for (const line of parts) onLine(line)
  }
  if (rest) onLine(rest)
}
