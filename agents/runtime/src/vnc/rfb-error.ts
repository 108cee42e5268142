// Why an RFB relay ended, with a code that never changes and a sentence for people.

export type RfbErrorCode =
  | "VNC_UNREACHABLE"
  | "VNC_NOT_RFB"
  | "VNC_UNSUPPORTED_VERSION"
  | "VNC_REFUSED"
  | "VNC_NO_VNC_AUTH"
  | "VNC_AUTH_FAILED"
  | "VNC_CLOSED"
  | "VNC_TIMEOUT"
  | "VIEWER_PROTOCOL"

export class RfbError extends Error {
  constructor(
    readonly code: RfbErrorCode,
    message: string,
  ) {
    super(message)
    this.name = "RfbError"
  }
}
