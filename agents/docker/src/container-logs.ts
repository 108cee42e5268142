// The last lines a container printed, to say why a session died while starting.
import type Docker from "dockerode"

/** Docker multiplexes stdout and stderr of a non-TTY container into frames: 8-byte header, then payload. */
export function demuxLogs(raw: Buffer): string {
  const parts: Buffer[] = []
  let offset = 0
  while (offset + 8 <= raw.length) {
    const size = raw.readUInt32BE(offset + 4)
    parts.push(raw.subarray(offset + 8, offset + 8 + size))
    offset += 8 + size
  }
  return Buffer.concat(parts).toString("utf8")
}

export async function tailLogs(container: Docker.Container, lines: number): Promise<string> {
  try {
    const raw = await container.logs({ stdout: true, stderr: true, tail: lines, follow: false })
    return demuxLogs(raw).trim()
  } catch {
    return ""
  }
}
