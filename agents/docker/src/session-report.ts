// Reads a session's state out of what Docker says about its container.
import type Docker from "dockerode"
import type { SessionReport } from "@streamspace/schemas"
import { LABEL } from "./naming.ts"

/** The parts of Docker's container state that matter, from inspect or from list. */
export interface ContainerState {
  status: string
  exitCode?: number
  oomKilled?: boolean
  error?: string
}

/** Exit codes of a container that was stopped on purpose: 0 (our entrypoint), 143 (killed by SIGTERM). */
const CLEAN_EXIT = new Set([0, 143])

/**
 * A container that stopped cleanly was hibernated; any other exit is a crash. A container that was created but never started belongs to an
 * interrupted start.
 */
export function reportFromState(sessionId: string, state: ContainerState): SessionReport {
  switch (state.status) {
    case "running":
      return { sessionId, state: "running" }
    case "paused":
      return { sessionId, state: "hibernated" }
    case "exited":
      return cleanExit(state) ? { sessionId, state: "hibernated" } : { sessionId, state: "failed", reason: exitReason(state) }
    case "removing":
      return { sessionId, state: "stopping" }
    case "created":
      return { sessionId, state: "failed", reason: "the container was created but never started (interrupted start)" }
    default:
      return { sessionId, state: "failed", reason: `the container is ${state.status}${state.error ? `: ${state.error}` : ""}` }
  }
}

const cleanExit = (state: ContainerState) =>
  state.exitCode !== undefined && CLEAN_EXIT.has(state.exitCode) && state.oomKilled !== true

function exitReason(state: ContainerState): string {
  if (state.oomKilled) return "the session ran out of memory and was killed"
  const code = state.exitCode === undefined ? "an unknown code" : `code ${state.exitCode}`
  return `the session's container exited with ${code}${state.error ? `: ${state.error}` : ""}`
}

/** `docker ps` gives no exit code, only a status line such as "Exited (137) 5 seconds ago". */
export function exitCodeFromStatusLine(line: string): number | undefined {
  const match = /^Exited \((-?\d+)\)/.exec(line)
  return match?.[1] === undefined ? undefined : Number(match[1])
}

export function reportFromInspect(id: string, info: Docker.ContainerInspectInfo): SessionReport {
  const s = info.State
  return reportFromState(id, { status: s.Status, exitCode: s.ExitCode, oomKilled: s.OOMKilled, error: s.Error || undefined })
}

export function reportFromListing(c: Docker.ContainerInfo): SessionReport {
  return reportFromState(c.Labels[LABEL.session] ?? "", { status: c.State, exitCode: exitCodeFromStatusLine(c.Status) })
}
