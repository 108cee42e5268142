// Viewer activity per session (last input), written at most once per interval: input arrives in floods.

export function createActivityRecorder(
  write: (sessionId: string) => Promise<unknown>,
  onError: (error: unknown) => void,
  intervalMs = 15_000,
) {
  const lastWrite = new Map<string, number>()
  return {
    touch(sessionId: string, now = Date.now()): void {
      const last = lastWrite.get(sessionId)
      if (last !== undefined && now - last < intervalMs) return
      if (lastWrite.size > 10_000) for (const [id, at] of lastWrite) if (now - at >= intervalMs) lastWrite.delete(id)
      lastWrite.set(sessionId, now)
      write(sessionId).catch(onError)
    },
  }
}
export type ActivityRecorder = ReturnType<typeof createActivityRecorder>
