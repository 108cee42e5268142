// Serializes operations per key (a session, a network), so a stop cannot overtake the start it follows.

export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>()

  run<T>(key: string, operation: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve()
    const result = previous.catch(() => undefined).then(operation)
    const tail = result.catch(() => undefined)
    this.tails.set(key, tail)
    // Forget the key once nothing queues behind this operation.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key)
    })
    return result
  }
}
