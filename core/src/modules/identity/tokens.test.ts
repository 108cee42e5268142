// Access tokens: issued, verified, refused when forged or expired, and remembered only while valid.
import { describe, expect, test } from "bun:test"
import { createTokenService } from "./tokens.ts"

const SECRET = "tokens-test-secret-tokens-test-secret-0000"
const claims = { sub: "6c0e3f54-7d55-4a45-9a8e-0b8a4c9d1e11", role: "user" as const, name: "ada" }

describe("token service", () => {
  test("a token it issued verifies to its claims, again and again", async () => {
    const tokens = createTokenService(SECRET, 60)
    const { accessToken, expiresIn } = await tokens.issue(claims)
    expect(expiresIn).toBe(60)
    expect(await tokens.verify(accessToken)).toEqual(claims)
    expect(await tokens.verify(accessToken)).toEqual(claims)
  })

  test("another key's token and a tampered token are refused", async () => {
    const mine = createTokenService(SECRET, 60)
    const theirs = createTokenService(`${SECRET}-other`, 60)
    const { accessToken } = await theirs.issue(claims)
    expect(await mine.verify(accessToken)).toBeNull()
    const own = (await mine.issue(claims)).accessToken
    await mine.verify(own) // remembered as verified…
    const [head, , sig] = own.split(".")
    const forged = `${head}.${Buffer.from(JSON.stringify({ ...claims, role: "admin", iss: "streamspace" })).toString("base64url")}.${sig}`
    expect(await mine.verify(forged)).toBeNull() // …which says nothing about a different token
  })

  test("a remembered token stops verifying once it expires", async () => {
    const tokens = createTokenService(SECRET, 1)
    const { accessToken } = await tokens.issue(claims)
    expect(await tokens.verify(accessToken)).toEqual(claims)
    await Bun.sleep(2100)
    expect(await tokens.verify(accessToken)).toBeNull()
  })
})
