import { describe, expect, test } from "bun:test"
import { creditOf, decodeFrame, FrameKind, MAX_STREAM_PAYLOAD_BYTES } from "./stream-frame.ts"
import { StreamFlow } from "./stream-flow.ts"

const collect = () => {
  const frames: Uint8Array[] = []
  // Frames are valid only during emit (the flow reuses its buffer): keep copies.
  return { frames, emit: (f: Uint8Array) => frames.push(f.slice()), decoded: () => frames.map((f) => decodeFrame(f)!) }
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

  test("a reader returns credit in batches of a quarter of its window and notices a sender that overruns", () => {
    const out = collect()
    const flow = new StreamFlow(3, 1000, 1, out.emit)
    expect(flow.received(200)).toBe(true)
    flow.consumed(200)
    expect(out.frames.length).toBe(0)
    expect(flow.received(600)).toBe(true)
    flow.consumed(100)
    const [credit] = out.decoded()
    expect(credit?.kind).toBe(FrameKind.credit)
    expect(creditOf(credit!)).toBe(300)
    // 500 outstanding, window 1000: 501 more is more than the sender was given.
    expect(flow.received(501)).toBe(false)
  })

  test("chunks queued while credit was short go out together in one frame, in order", () => {
    const out = collect()
    const flow = new StreamFlow(4, 1000, 0, out.emit)
    const chunk = (n: number, fill: number) => new Uint8Array(n).fill(fill)
    expect(flow.write(chunk(100, 1))).toBe(false)
    expect(flow.write(chunk(200, 2))).toBe(false)
    expect(flow.write(chunk(300, 3))).toBe(false)
    expect(out.frames.length).toBe(0)
    expect(flow.granted(250)).toBe(false)
    expect(flow.granted(1000)).toBe(true)
    const payloads = out.decoded().map((f) => [...f.payload])
    expect(payloads.map((p) => p.length)).toEqual([250, 350])
    expect(payloads.flat()).toEqual([...chunk(100, 1), ...chunk(200, 2), ...chunk(300, 3)])
  })

  test("a flow written to from inside another flow's emit sends both frames intact", () => {
    const frames: Uint8Array[] = []
    const inner = new StreamFlow(9, 1000, 1000, (f) => frames.push(f.slice()))
    const outer = new StreamFlow(8, 1000, 1000, (f) => {
      inner.write(new Uint8Array(5).fill(9))
      frames.push(f.slice())
    })
    outer.write(new Uint8Array(10).fill(8))
    const decoded = frames.map((f) => decodeFrame(f)!)
    expect(decoded.map((f) => [f.streamId, [...f.payload]])).toEqual([
      [9, [9, 9, 9, 9, 9]],
      [8, [8, 8, 8, 8, 8, 8, 8, 8, 8, 8]],
    ])
  })
})
