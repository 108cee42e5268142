// The viewers connected to this replica, by session, so that a revoked share can end them at once — here and, through the peers, on every other replica.

export interface ConnectedViewer {
  userId: string
  sessionId: string
  /** Ends the viewer's stream (both sides) with a reason the browser sees as the close reason. */
  close(reason: string): void
}

/** The other replicas (Redis pub/sub): told to close a user's viewers of a session too. */
export interface ViewerPeers {
  publish(close: { sessionId: string; userId: string; reason: string }): void
}

export class ViewerRegistry {
  private readonly bySession = new Map<string, Set<ConnectedViewer>>()

  constructor(private readonly peers?: ViewerPeers) {}

  add(viewer: ConnectedViewer): () => void {
    const set = this.bySession.get(viewer.sessionId) ?? new Set<ConnectedViewer>()
    this.bySession.set(viewer.sessionId, set)
    set.add(viewer)
    return () => {
      set.delete(viewer)
      if (set.size === 0 && this.bySession.get(viewer.sessionId) === set) this.bySession.delete(viewer.sessionId)
    }
  }

  count(sessionId: string): number {
    return this.bySession.get(sessionId)?.size ?? 0
  }

  /** Closes every stream of `userId` on the session, on every replica; returns how many there were here. */
  closeUser(sessionId: string, userId: string, reason: string): number {
    this.peers?.publish({ sessionId, userId, reason })
    return this.closeHere(sessionId, userId, reason)
  }

  /** Closes `userId`'s streams of the session on this replica only (what a peer's message asks). */
  closeHere(sessionId: string, userId: string, reason: string): number {
    const viewers = [...(this.bySession.get(sessionId) ?? [])].filter((v) => v.userId === userId)
    for (const v of viewers) v.close(reason)
    return viewers.length
  }
}
