import { describe, expect, test } from "vitest"
import {
  credentialOf,
  expectsSessionCookie,
  loadCredential,
  markSessionCookie,
  problemWithPastedToken,
  saveCredential,
} from "./credential.ts"

const JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"

describe("the credential pasted on the sign-in page", () => {
  test("an API key and an access token are recognised, with surrounding blanks ignored", () => {
    expect(credentialOf("  ssk_abc123 \n")).toEqual({ kind: "api_key", token: "ssk_abc123" })
    expect(credentialOf(JWT)).toEqual({ kind: "access_token", token: JWT })
    expect(problemWithPastedToken(" ssk_abc123 ")).toBeNull()
    expect(problemWithPastedToken(JWT)).toBeNull()
  })

  test("an empty, broken or foreign value is refused before anything is sent", () => {
    expect(problemWithPastedToken("  ")).toContain("Paste an API key")
    expect(problemWithPastedToken("ssk_abc def")).toContain("no spaces")
    expect(problemWithPastedToken("password123")).toContain("neither an API key")
  })

  test("the credential is kept in session storage and a damaged entry is ignored", () => {
    saveCredential({ kind: "api_key", token: "ssk_x" }, sessionStorage)
    expect(loadCredential(sessionStorage)).toEqual({ kind: "api_key", token: "ssk_x" })
    sessionStorage.setItem("streamspace.credential", "{not json")
    expect(loadCredential(sessionStorage)).toBeNull()
    sessionStorage.setItem("streamspace.credential", JSON.stringify({ kind: "cookie", token: 1 }))
    expect(loadCredential(sessionStorage)).toBeNull()
    saveCredential(null, sessionStorage)
    expect(sessionStorage.getItem("streamspace.credential")).toBeNull()
  })

  test("a cookie sign-in leaves no token in storage, only a marker that a refresh cookie exists", () => {
    saveCredential({ kind: "session", token: "eyJ.access.token" }, sessionStorage)
    expect(sessionStorage.getItem("streamspace.credential")).toBeNull()
    expect(expectsSessionCookie(localStorage)).toBe(false)
    markSessionCookie(true, localStorage)
    expect(expectsSessionCookie(localStorage)).toBe(true)
    expect(JSON.stringify({ ...localStorage })).not.toContain("eyJ")
    markSessionCookie(false, localStorage)
    expect(expectsSessionCookie(localStorage)).toBe(false)
  })
})
