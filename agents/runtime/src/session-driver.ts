// The seam between the shared agent runtime and one platform (Docker, Kubernetes).
import type { Capacity, SessionReport, SessionSpec } from "@streamspace/schemas"

/** Where a session's VNC server listens and the secret it demands (VNC authentication). */
export interface VncTarget {
  host: string
  port: number
  /** Per-session VNC password; only the agent knows it. The runtime completes RFB security with it. */
  password: string
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
  /** Address and secret of a running session's VNC server; null if the session is not running here. */
  vncTarget(sessionId: string): Promise<VncTarget | null>
}
