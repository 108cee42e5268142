// The agent's side of RFB security with a session's VNC server: version 3.8, VNC Authentication.
import { RfbError } from "./rfb-error.ts"
import type { RfbReader } from "./rfb-reader.ts"
import { parseRfbVersion, RFB_38, RFB_VERSION_BYTES, SecurityType, showBytes } from "./rfb-version.ts"
import { VNC_CHALLENGE_BYTES, vncAuthResponse } from "./vnc-auth.ts"

/**
 * Runs ProtocolVersion → Security → SecurityResult as an RFB client. Resolves when the server has
 * accepted the password; the next bytes the server expects are the viewer's ClientInit.
 */
export async function authenticateWithServer(reader: RfbReader, write: (b: Uint8Array) => void, password: string): Promise<void> {
  const banner = await reader.read(RFB_VERSION_BYTES)
  const version = parseRfbVersion(banner)
  if (!version)
    throw new RfbError("VNC_NOT_RFB", `The session's VNC port answered ${showBytes(banner)}, which is not an RFB server.`)
  if (version.major < 3 || (version.major === 3 && version.minor < 8))
    throw new RfbError(
      "VNC_UNSUPPORTED_VERSION",
      `The session's VNC server speaks RFB ${version.major}.${version.minor}; the relay needs 3.8 or later.`,
    )
  write(RFB_38)

  const count = await reader.readU8()
  if (count === 0)
    throw new RfbError("VNC_REFUSED", `The session's VNC server refused the connection: ${await reader.readReason()}`)
  const offered = [...(await reader.read(count))]
  if (!offered.includes(SecurityType.vncAuth))
    throw new RfbError(
      "VNC_NO_VNC_AUTH",
      `The session's VNC server offers security types [${offered.join(", ")}], without VNC Authentication (2) that the relay needs.`,
    )
  write(Uint8Array.of(SecurityType.vncAuth))
  write(vncAuthResponse(password, await reader.read(VNC_CHALLENGE_BYTES)))

  const result = await reader.readU32()
  if (result !== 0) {
    // 3.8 servers explain a failure; an old or abrupt one may just close, which is still a refusal.
    const reason = await reader.readReason().catch(() => "no reason given")
    throw new RfbError("VNC_AUTH_FAILED", `The session's VNC server rejected the agent's password: ${reason}`)
  }
}
