// Coalesces the messages sent in one turn of the event loop into a single IPC write (a `batch`).
type Batch = { type: "batch"; messages: unknown[] }

/** Returns a send function; `write` receives single messages or batches, at most once per turn. */
export const batchingSender = <M>(write: (message: M | Batch) => void) => {
  let queue: M[] = []
  const flush = () => {
    const messages = queue
    queue = []
    if (messages.length === 1) write(messages[0] as M)
    else write({ type: "batch", messages })
  }
  return (message: M) => {
    if (queue.push(message) === 1) setImmediate(flush)
  }
}
