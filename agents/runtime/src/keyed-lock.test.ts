// Operations on one session run one after another; different sessions do not wait for each other.
import { expect, test } from "bun:test"
import { KeyedLock } from "./keyed-lock.ts"

test("operations on one session run in the order they were asked, even after a failure", async () => {
  const lock = new KeyedLock()
  const order: string[] = []
  const slow = lock.run("a", async () => {
    await Bun.sleep(30)
    order.push("start")
    throw new Error("start failed")
  })
  const stop = lock.run("a", async () => {
    order.push("stop")
    return "stopped"
  })
  await expect(slow).rejects.toThrow("start failed")
  expect(await stop).toBe("stopped")
  expect(order).toEqual(["start", "stop"])
})

test("another session does not wait", async () => {
  const lock = new KeyedLock()
  const order: string[] = []
  const a = lock.run("a", async () => {
    await Bun.sleep(30)
    order.push("a")
  })
  const b = lock.run("b", async () => {
    order.push("b")
  })
  await Promise.all([a, b])
  expect(order).toEqual(["b", "a"])
})
