// The admission queue for password hashing: a limit on work at once, first come first served, and a bounded wait.
import { expect, test } from "bun:test"
import { createAdmission } from "./admission.ts"
import { AuthRefused } from "./errors.ts"

const deferred = () => {
  let resolve!: () => void
  const promise = new Promise<void>((r) => (resolve = r))
  return { promise, resolve }
}

test("no more than the limit run at once, and the queue is served in order", async () => {
  const admission = createAdmission(2, 5_000)
  const gates = [deferred(), deferred(), deferred(), deferred()]
  const started: number[] = []
  const runs = gates.map((gate, i) =>
    admission.run(async () => {
      started.push(i)
      await gate.promise
      return i
    }),
  )
  await Bun.sleep(5)
  expect(started).toEqual([0, 1])
  expect(admission.queued).toBe(2)
  gates[1]?.resolve()
  await Bun.sleep(5)
  expect(started).toEqual([0, 1, 2])
  for (const gate of gates) gate.resolve()
  expect(await Promise.all(runs)).toEqual([0, 1, 2, 3])
})

test("a caller that waits too long is refused with AUTH_BUSY (503, Retry-After) and leaves the queue", async () => {
  const admission = createAdmission(1, 20)
  const gate = deferred()
  const first = admission.run(() => gate.promise)
  const refused = await admission.run(async () => "ran").catch((e: unknown) => e)
  expect(refused).toBeInstanceOf(AuthRefused)
  expect(refused).toMatchObject({ code: "AUTH_BUSY", status: 503, headers: { "retry-after": "1" } })
  expect(admission.queued).toBe(0)
  gate.resolve()
  await first
  expect(await admission.run(async () => "ran")).toBe("ran")
})

test("a failing piece of work frees its place", async () => {
  const admission = createAdmission(1, 1_000)
  await expect(admission.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom")
  expect(await admission.run(async () => "next")).toBe("next")
})
