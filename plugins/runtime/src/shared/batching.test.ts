import { expect, test } from "bun:test"
import { batchingSender } from "./batching.ts"

test("the first message of a turn goes out at once and the rest of the turn follows as one batch", async () => {
  const written: unknown[] = []
  const send = batchingSender<{ n: number }>((m) => written.push(m))
  send({ n: 1 })
  send({ n: 2 })
  send({ n: 3 })
  expect(written).toEqual([{ n: 1 }])
  await new Promise((r) => setImmediate(r))
  expect(written).toEqual([{ n: 1 }, { type: "batch", messages: [{ n: 2 }, { n: 3 }] }])
  send({ n: 4 })
  expect(written.at(-1)).toEqual({ n: 4 })
})
