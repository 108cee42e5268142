import { describe, expect, test } from "bun:test"
import { creditOf, decodeFrame, FrameKind, MAX_STREAM_PAYLOAD_BYTES } from "./stream-frame.ts"
import { StreamFlow } from "./stream-flow.ts"

const collect = () => {
  const frames: Uint8Array[] = []
  return { frames, emit: (f: Uint8Array) => frames.push(f), decoded: () => frames.map((f) => decodeFrame(f)!) }
}

describe("stream flow control", () => {
  test("a writer sends no more than its credit and queues the rest until credit comes back", () => {
    const out = collect()
    const flow = new StreamFlow(7, 1000, 100, out.emit)
    expect(flow.write(new Uint8Array(250))).toBe(false)
    expect(out.decoded().map((f) => [f.kind, f.streamId, f.payload.byteLength])).toEqual([[FrameKind.data, 7, 100]])
    expect(flow.queuedBytes).toBe(150)
    expect(flow.granted(100)).toBe(false)
    expect(flow.granted(500)).toBe(true)
    expect(out.decoded().map((f) => f.payload.byteLength)).toEqual([100, 100, 50])
    expect(flow.queuedBytes).toBe(0)
  })

  test("large writes are cut into frames no bigger than the protocol allows", () => {
    const out = collect()
    const flow = new StreamFlow(1, 1, 10 * MAX_STREAM_PAYLOAD_BYTES, out.emit)
    expect(flow.write(new Uint8Array(MAX_STREAM_PAYLOAD_BYTES * 2 + 3))).toBe(true)
    expect(out.decoded().map((f) => f.payload.byteLength)).toEqual([MAX_STREAM_PAYLOAD_BYTES, MAX_STREAM_PAYLOAD_BYTES, 3])
  })

  test("a reader returns credit in batches of half its window and notices a sender that overruns", () => {
    const out = collect()
    const flow = new StreamFlow(3, 1000, 1, out.emit)
    expect(flow.received(400)).toBe(true)
    flow.consumed(400)
    expect(out.frames.length).toBe(0)
    expect(flow.received(600)).toBe(true)
    flow.consumed(200)
    const [credit] = out.decoded()
    expect(credit?.kind).toBe(FrameKind.credit)
    expect(creditOf(credit!)).toBe(600)
    // 400 outstanding, window 1000: 601 more is more than the sender was given.
    expect(flow.received(601)).toBe(false)
  })
})
