// Bounded concurrency: the host stops a plugin that keeps more than 64 host calls pending at once.
export const HOST_CALLS_AT_ONCE = 16

/** Runs `work` over `items`, at most `limit` at a time, and answers the results in order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      results[i] = await work(items[i] as T)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}
