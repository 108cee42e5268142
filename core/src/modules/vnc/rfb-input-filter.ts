// Follows the viewer → server RFB byte stream and drops input messages from view-only viewers.
// Chunks may split or pack messages any way; forwarded bytes are views of the input, not copies.

export type ShareLevel = "view" | "control"

export class RfbFilterError extends Error {
  readonly code = "RFB_MALFORMED"
}

/** ProtocolVersion (12) + the chosen security type (1): passed through; the agent checks them. */
const HANDSHAKE_BYTES = 13
/** Nobody's clipboard is this big; a larger length is a broken or hostile client. */
export const MAX_CUT_TEXT_BYTES = 8 * 1024 * 1024
const SHARED = Uint8Array.of(1)

/**
 * Client → server message types this relay understands: how many bytes to read to know the
 * length (`head`), the length from those bytes, and whether the message is input.
 */
interface MessageRule {
  name: string
  head: number
  input: boolean
  length(h: DataView): number | string
}
const fixed = (name: string, bytes: number, input = false): MessageRule => ({ name, head: 1, input, length: () => bytes })
const RULES = new Map<number, MessageRule>([
  [0, fixed("SetPixelFormat", 20)],
  [2, { name: "SetEncodings", head: 4, input: false, length: (h) => 4 + 4 * h.getUint16(2) }],
  [3, fixed("FramebufferUpdateRequest", 10)],
  [4, fixed("KeyEvent", 8, true)],
  [5, fixed("PointerEvent", 6, true)],
  [
    6,
    {
      name: "ClientCutText",
      head: 8,
      input: true,
      // A negative length is the Extended Clipboard form; its size is the absolute value.
      length: (h) => {
        const n = Math.abs(h.getInt32(4))
        return n > MAX_CUT_TEXT_BYTES ? `ClientCutText of ${n} bytes is over the ${MAX_CUT_TEXT_BYTES}-byte limit` : 8 + n
      },
    },
  ],
  [150, fixed("EnableContinuousUpdates", 10)],
  [
    248,
    {
      name: "ClientFence",
      head: 9,
      input: false,
      length: (h) => (h.getUint8(8) > 64 ? `ClientFence payload of ${h.getUint8(8)} bytes is over 64` : 9 + h.getUint8(8)),
    },
  ],
  // Resizing the remote screen and power actions change the session: a view-only viewer may not.
  [251, { name: "SetDesktopSize", head: 8, input: true, length: (h) => 8 + 16 * h.getUint8(6) }],
  [252, fixed("xvp", 4, true)],
  [
    255,
    {
      name: "QEMU",
      head: 2,
      input: true,
      length: (h) => (h.getUint8(1) === 0 ? 12 : `QEMU client message subtype ${h.getUint8(1)} is not supported`),
    },
  ],
])

export interface RfbInputFilterOptions {
  /** Called for every input message that is forwarded (not for dropped ones): viewer activity. */
  onInput?: () => void
}

export class RfbInputFilter {
  /** Input messages dropped because the viewer may only watch. */
  dropped = 0
  private handshakeLeft = HANDSHAKE_BYTES
  private clientInitDone = false
  private rule: MessageRule | null = null
  private readonly head = new Uint8Array(9)
  private headLength = 0
  private bodyLeft = 0
  private dropping = false
  private failure: RfbFilterError | null = null

  constructor(
    private readonly level: ShareLevel,
    private readonly options: RfbInputFilterOptions = {},
  ) {}

  /** The parts of `chunk` to pass on, in order. Throws RfbFilterError for a malformed stream. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure) throw this.failure
    const out: Uint8Array[] = []
    // Start of the forwarded run in `chunk`; -1 while dropping, also a message begun in an earlier chunk.
    const midMessage = this.bodyLeft > 0 || this.rule !== null
    let runStart = midMessage && this.dropping ? -1 : 0
    const cut = (at: number) => {
      if (runStart >= 0 && at > runStart) out.push(chunk.subarray(runStart, at))
      runStart = -1
    }
    const resume = (at: number) => {
      if (runStart < 0) runStart = at
    }
    let i = 0
    while (i < chunk.byteLength) {
      if (this.handshakeLeft > 0) {
        const n = Math.min(this.handshakeLeft, chunk.byteLength - i)
        this.handshakeLeft -= n
        i += n
      } else if (!this.clientInitDone) {
        // ClientInit: always ask for a shared session, so that no viewer can disconnect the others.
        cut(i)
        out.push(SHARED)
        this.clientInitDone = true
        i += 1
        runStart = i
      } else if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.byteLength - i)
        this.bodyLeft -= n
        i += n
      } else {
        const byte = chunk[i] as number
        if (!this.rule) this.startMessage(byte, i, cut, resume)
        this.head[this.headLength++] = byte
        i += 1
        const rule = this.rule as MessageRule | null
        if (rule && this.headLength === rule.head) this.headComplete(rule)
      }
    }
    cut(chunk.byteLength)
    return out
  }

  private startMessage(type: number, at: number, cut: (at: number) => void, resume: (at: number) => void): void {
    const rule = RULES.get(type)
    if (!rule) this.fail(`message type ${type} is not one the relay knows`)
    this.rule = rule
    this.headLength = 0
    this.dropping = rule.input && this.level === "view"
    if (this.dropping) {
      this.dropped += 1
      cut(at)
    } else {
      resume(at)
      if (rule.input) this.options.onInput?.()
    }
  }

  private headComplete(rule: MessageRule): void {
    const total = rule.length(new DataView(this.head.buffer, 0, this.headLength))
    if (typeof total === "string") this.fail(total)
    this.bodyLeft = total - this.headLength
    this.rule = null
    this.headLength = 0
  }

  private fail(reason: string): never {
    this.failure = new RfbFilterError(`The viewer sent a malformed RFB stream: ${reason}.`)
    throw this.failure
  }
}
