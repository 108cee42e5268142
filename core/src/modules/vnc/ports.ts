// What the relay needs from the agent hub: a byte stream to a session's VNC server, with credit.

export interface SessionStreamHandlers {
  /** Bytes from the session's VNC server. */
  onData(bytes: Uint8Array): void
  /** The stream's send queue drained: writing may go on. */
  onDrain?(): void
  onClose(reason: string): void
  /** The relay returns credit itself (`consumed`) once the browser socket has taken the bytes. */
  manualCredit?: boolean
}

export interface SessionStream {
  /** False: the agent's credit is used up and bytes are queued; wait for onDrain. */
  write(bytes: Uint8Array): boolean
  consumed(bytes: number): void
  close(reason?: string): void
}

export interface SessionStreams {
  /** Rejects when the session's agent cannot be reached or refuses the stream. */
  openStream(sessionId: string, handlers: SessionStreamHandlers, timeoutMs?: number): Promise<SessionStream>
}
