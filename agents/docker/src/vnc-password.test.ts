// The derived VNC password is stable for one agent and session, and differs otherwise.
import { expect, test } from "bun:test"
import { deriveVncPassword } from "./vnc-password.ts"

const secret = "an agent secret of enough length"
const session = "6c0e3f54-7d55-4a45-9a8e-0b8a4c9d1e11"

test("a restarted agent derives the same password for the same session", () => {
  expect(deriveVncPassword(secret, session)).toBe(deriveVncPassword(secret, session))
  expect(deriveVncPassword(secret, session)).toMatch(/^[A-Za-z0-9_-]{8}$/)
})

test("another session or another agent secret gives another password", () => {
  const other = deriveVncPassword(secret, "0f0e3f54-7d55-4a45-9a8e-0b8a4c9d1e11")
  expect(other).not.toBe(deriveVncPassword(secret, session))
  expect(deriveVncPassword(`${secret}!`, session)).not.toBe(deriveVncPassword(secret, session))
})
