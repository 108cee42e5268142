// Container states map to session states the control plane understands.
import { expect, test } from "bun:test"
import { exitCodeFromStatusLine, reportFromState } from "./session-report.ts"

const id = "6c0e3f54-7d55-4a45-9a8e-0b8a4c9d1e11"

test("a cleanly stopped container is a hibernated session, a crashed one a failed session", () => {
  expect(reportFromState(id, { status: "running" }).state).toBe("running")
  expect(reportFromState(id, { status: "exited", exitCode: 0 }).state).toBe("hibernated")
  expect(reportFromState(id, { status: "exited", exitCode: 143 }).state).toBe("hibernated")
  expect(reportFromState(id, { status: "exited", exitCode: 1 })).toEqual({
    sessionId: id,
    state: "failed",
    reason: "the session's container exited with code 1",
  })
  expect(reportFromState(id, { status: "exited", exitCode: 137, oomKilled: true }).reason).toContain("out of memory")
  expect(reportFromState(id, { status: "created" }).state).toBe("failed")
  expect(reportFromState(id, { status: "dead" }).reason).toBe("the container is dead")
})

test("the exit code is read from docker ps' status line", () => {
  expect(exitCodeFromStatusLine("Exited (137) 5 seconds ago")).toBe(137)
  expect(exitCodeFromStatusLine("Exited (0) About a minute ago")).toBe(0)
  expect(exitCodeFromStatusLine("Up 3 minutes")).toBeUndefined()
})
