// Polls until an assertion holds, for effects that land asynchronously (a copy of core/src/testing/eventually.ts: agents never import core).
export async function eventually<T>(probe: () => Promise<T> | T, timeoutMs = 5_000, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      return await probe()
    } catch (e) {
      if (Date.now() > deadline) throw e
    }
    await Bun.sleep(everyMs)
  }
}
