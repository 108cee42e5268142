// Coalesces IPC writes: the first message of a turn of the event loop goes out at once (no added
// latency when calls are serial); the ones that follow in the same turn travel as one `batch`.
type Batch = { type: "batch"; messages: unknown[] }

export const batchingSender = <M>(write: (message: M | Batch) => void) => {
  let queue: M[] = []
  let windowOpen = false
  const flush = () => {
    windowOpen = false
    const messages = queue
    queue = []
    if (messages.length === 1) write(messages[0] as M)
    else if (messages.length > 1) write({ type: "batch", messages })
  }
  return (message: M) => {
    if (windowOpen) {
      queue.push(message)
      return
    }
    windowOpen = true
    setImmediate(flush)
    write(message)
  }
}
