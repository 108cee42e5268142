import { expect, test } from "bun:test"
import { ByteQueue } from "./byte-queue.ts"

const bytes = (...n: number[]) => Uint8Array.from(n)

test("a read that spans chunks is joined in order and consumed", () => {
  const q = new ByteQueue()
  q.push(bytes(1, 2))
  q.push(bytes(3))
  q.push(bytes(4, 5, 6))
  expect(q.take(4)).toEqual(bytes(1, 2, 3, 4))
  expect(q.length).toBe(2)
  expect(q.take(2)).toEqual(bytes(5, 6))
})

test("a read longer than what arrived returns null and consumes nothing", () => {
  const q = new ByteQueue()
  q.push(bytes(1, 2, 3))
  expect(q.take(4)).toBeNull()
  expect(q.length).toBe(3)
  expect(q.peek(2)).toBe(3)
  expect(q.peek(3)).toBeUndefined()
})

test("discard and drain leave the rest in order", () => {
  const q = new ByteQueue()
  q.push(bytes(1, 2, 3))
  q.push(bytes(4, 5))
  q.discard(2)
  expect(q.peek(0)).toBe(3)
  expect(q.drain()).toEqual([bytes(3), bytes(4, 5)])
  expect(q.length).toBe(0)
})
