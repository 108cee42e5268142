// Binary frames of the agent connection: a 5-byte header (kind, stream id) then the payload.
// Pure encode/decode so that core and agents share one definition of the wire format.

export const STREAM_HEADER_BYTES = 5
export const MAX_STREAM_PAYLOAD_BYTES = 256 * 1024

export const FrameKind = {
  /** Payload is stream bytes. */
  data: 0,
  /** Payload is a u32 BE: how many more bytes the receiver accepts. */
  credit: 1,
} as const
export type FrameKind = (typeof FrameKind)[keyof typeof FrameKind]

export interface StreamFrame {
  kind: FrameKind
  streamId: number
  payload: Uint8Array
}

export function encodeFrame(kind: FrameKind, streamId: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(STREAM_HEADER_BYTES + payload.byteLength)
  out[0] = kind
  new DataView(out.buffer).setUint32(1, streamId)
  out.set(payload, STREAM_HEADER_BYTES)
  return out
}

export function encodeCredit(streamId: number, bytes: number): Uint8Array {
  const payload = new Uint8Array(4)
  new DataView(payload.buffer).setUint32(0, bytes)
  return encodeFrame(FrameKind.credit, streamId, payload)
}

/** Returns null for a frame that is not well formed; callers close the offending connection. */
export function decodeFrame(buf: Uint8Array): StreamFrame | null {
  if (buf.byteLength < STREAM_HEADER_BYTES || buf.byteLength > STREAM_HEADER_BYTES + MAX_STREAM_PAYLOAD_BYTES) return null
  const kind = buf[0]
  if (kind !== FrameKind.data && kind !== FrameKind.credit) return null
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength)
  const streamId = view.getUint32(1)
  if (streamId === 0) return null
  const payload = buf.subarray(STREAM_HEADER_BYTES)
  if (kind === FrameKind.credit && payload.byteLength !== 4) return null
  return { kind, streamId, payload }
}

export const creditOf = (frame: StreamFrame): number =>
  new DataView(frame.payload.buffer, frame.payload.byteOffset, 4).getUint32(0)
