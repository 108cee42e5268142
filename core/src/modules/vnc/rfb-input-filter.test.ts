import { describe, expect, test } from "bun:test"
import { RfbFilterError, RfbInputFilter, type ShareLevel } from "./rfb-input-filter.ts"

const msg = (...parts: (number | [number, "u16" | "u32" | "s32"])[]) => {
  const out: number[] = []
  for (const p of parts) {
    if (typeof p === "number") out.push(p)
    else if (p[1] === "u16") out.push((p[0] >> 8) & 255, p[0] & 255)
    else {
      const b = new Uint8Array(4)
      new DataView(b.buffer).setInt32(0, p[0])
      out.push(...b)
    }
  }
  return out
}
const zeros = (n: number) => new Array<number>(n).fill(0)

const handshake = [...new TextEncoder().encode("RFB 003.008\n"), 1]
const clientInit = [0] // exclusive: the relay must turn it into shared
const setPixelFormat = msg(0, ...zeros(3), 32, 24, 0, 1, ...zeros(12))
const setEncodings = msg(2, 0, [3, "u16"], [0, "s32"], [1, "s32"], [-223, "s32"])
const updateRequest = msg(3, 0, [0, "u16"], [0, "u16"], [1024, "u16"], [768, "u16"])
const keyDown = msg(4, 1, 0, 0, [0x61, "u32"])
const pointer = msg(5, 1, [10, "u16"], [20, "u16"])
const cutText = msg(6, 0, 0, 0, [5, "u32"], ...new TextEncoder().encode("hello"))
const extendedCut = msg(6, 0, 0, 0, [-4, "s32"], 1, 2, 3, 4)
const continuous = msg(150, 1, [0, "u16"], [0, "u16"], [10, "u16"], [10, "u16"])
const fence = msg(248, 0, 0, 0, [0, "u32"], 3, 7, 7, 7)
const desktopSize = msg(251, 0, [800, "u16"], [600, "u16"], 1, 0, ...zeros(16))
const qemuKey = msg(255, 0, [1, "u16"], [0x61, "u32"], [30, "u32"])

const screenMessages = [setPixelFormat, setEncodings, updateRequest, continuous, fence]
const inputMessages = [keyDown, pointer, cutText, extendedCut, desktopSize, qemuKey]
const session = [...handshake, ...clientInit, ...screenMessages.flat(), ...inputMessages.flat(), ...updateRequest]

/** Feeds `bytes` to a filter in chunks of the given sizes (cycled) and joins what comes out. */
function run(level: ShareLevel, bytes: number[], sizes: number[], onInput?: () => void) {
  const filter = new RfbInputFilter(level, { onInput })
  const out: number[] = []
  let i = 0
  for (let k = 0; i < bytes.length; k++) {
    const n = sizes[k % sizes.length] as number
    for (const part of filter.push(Uint8Array.from(bytes.slice(i, i + n)))) out.push(...part)
    i += n
  }
  return { out, filter }
}

const chunkings: [string, number[]][] = [
  ["one packed chunk", [100_000]],
  ["one byte at a time", [1]],
  ["odd splits across headers and bodies", [3, 7, 2, 11, 5]],
  ["large uneven frames", [17, 64, 9]],
]

describe("a viewer with control", () => {
  for (const [name, sizes] of chunkings)
    test(`passes every message through unchanged, ClientInit made shared (${name})`, () => {
      const expected = [...handshake, 1, ...session.slice(handshake.length + 1)]
      const inputs: number[] = []
      const { out, filter } = run("control", session, sizes, () => inputs.push(1))
      expect(out).toEqual(expected)
      expect(filter.dropped).toBe(0)
      expect(inputs).toHaveLength(inputMessages.length)
    })
})

describe("a view-only viewer", () => {
  for (const [name, sizes] of chunkings)
    test(`loses key, pointer, clipboard, resize and QEMU key messages and keeps the rest (${name})`, () => {
      const expected = [...handshake, 1, ...screenMessages.flat(), ...updateRequest]
      const inputs: number[] = []
      const { out, filter } = run("view", session, sizes, () => inputs.push(1))
      expect(out).toEqual(expected)
      expect(filter.dropped).toBe(inputMessages.length)
      expect(inputs).toHaveLength(0)
    })

  test("any random split of a long session gives the same bytes as one packed frame", () => {
    const long = [...handshake, 1, ...Array.from({ length: 50 }, () => [...screenMessages, ...inputMessages].flat()).flat()]
    const packed = run("view", long, [long.length]).out
    let seed = 7
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed / 2 ** 31
    }
    for (let round = 0; round < 100; round++) {
      const sizes = Array.from({ length: 16 }, () => 1 + Math.floor(random() * 40))
      expect(run("view", long, sizes).out).toEqual(packed)
    }
  })

  test("input packed between screen requests in one frame is cut out precisely", () => {
    const bytes = [...handshake, 1, ...updateRequest, ...keyDown, ...updateRequest, ...pointer, ...pointer, ...updateRequest]
    expect(run("view", bytes, [bytes.length]).out).toEqual([
      ...handshake,
      1,
      ...updateRequest,
      ...updateRequest,
      ...updateRequest,
    ])
  })
})

describe("a malformed stream", () => {
  const after = (...m: number[]) => [...handshake, 1, ...m]
  const failure = (level: ShareLevel, bytes: number[]) => {
    try {
      run(level, bytes, [bytes.length])
    } catch (e) {
      return e
    }
    return null
  }

  test("an unknown message type is refused, and so is everything after it", () => {
    const filter = new RfbInputFilter("view")
    expect(() => filter.push(Uint8Array.from(after(...updateRequest, 77)))).toThrow("message type 77")
    expect(() => filter.push(Uint8Array.from(updateRequest))).toThrow(RfbFilterError)
  })

  test("a clipboard larger than the limit is refused before it is read", () => {
    const e = failure("view", after(6, 0, 0, 0, ...msg([64 * 1024 * 1024, "u32"])))
    expect(e).toBeInstanceOf(RfbFilterError)
    expect((e as Error).message).toContain("ClientCutText")
  })

  test("a fence with an oversized payload is refused", () => {
    expect((failure("control", after(248, 0, 0, 0, 0, 0, 0, 0, 200)) as Error).message).toContain("ClientFence")
  })

  test("an unsupported QEMU subtype is refused", () => {
    expect((failure("control", after(255, 1, 0, 0)) as Error).message).toContain("QEMU")
  })

  test("a message cut short just waits for the rest", () => {
    const filter = new RfbInputFilter("control")
    const parts = filter.push(Uint8Array.from(after(3, 0, 0)))
    expect(parts.flatMap((p) => [...p])).toEqual(after(3, 0, 0))
  })
})
