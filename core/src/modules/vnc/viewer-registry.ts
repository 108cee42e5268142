// The viewers connected to this replica, by session, so that a revoked share can end them at once.

export interface ConnectedViewer {
  userId: string
  sessionId: string
  /** Ends the viewer's stream (both sides) with a reason the browser sees as the close reason. */
  close(reason: string): void
}

export class ViewerRegistry {
  private readonly bySession = new Map<string, Set<ConnectedViewer>>()

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

  /** Closes every stream of `userId` on the session; returns how many there were. */
  closeUser(sessionId: string, userId: string, reason: string): number {
    const viewers = [...(this.bySession.get(sessionId) ?? [])].filter((v) => v.userId === userId)
    for (const v of viewers) v.close(reason)
    return viewers.length
  }
}
