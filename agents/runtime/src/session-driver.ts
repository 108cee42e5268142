// The seam between the shared agent runtime and one platform (Docker, Kubernetes).
import type { Capacity, SessionReport, SessionSpec } from "@streamspace/schemas"

/** A duplex byte connection to a session's VNC server, already past RFB security. */
export interface VncConnection {
  /** Bytes from the VNC server (starting with the server's ServerInit-ready RFB stream). */
  readonly readable: ReadableStream<Uint8Array>
  write(bytes: Uint8Array): Promise<void>
  close(): void
}

export interface SessionDriver {
  readonly platform: "docker" | "kubernetes"
  /** Start (or adopt, if it already runs) the session; resolves once VNC answers. Idempotent. */
  start(spec: SessionSpec): Promise<SessionReport>
  /** Remove the session's workload; the user's home volume stays. Idempotent. */
  stop(sessionId: string): Promise<SessionReport>
  /** Release compute but keep the workload so that wake is fast. */
  hibernate(sessionId: string): Promise<SessionReport>
  /** Bring a hibernated session back; resolves once VNC answers. */
  wake(spec: SessionSpec): Promise<SessionReport>
  status(sessionId: string): Promise<SessionReport | null>
  /** Every session this driver's platform holds, found by label. */
  list(): Promise<SessionReport[]>
  /**
   * Reconcile with what the control plane knows: adopt live sessions, report vanished ones as
   * failed, remove workloads that no known session owns.
   */
  reconcile(known: readonly string[]): Promise<SessionReport[]>
  capacity(): Promise<Capacity>
  /** Open a byte stream to the session's VNC server with RFB security already completed. */
  openVnc(sessionId: string): Promise<VncConnection>
}
