import { expect, test } from "bun:test"
import { vncAuthKey, vncAuthResponse } from "./vnc-auth.ts"

test("the DES key is the password's first 8 bytes with each byte's bits mirrored", () => {
  // 'a' = 0110 0001 → 1000 0110; '1' = 0011 0001 → 1000 1100
  expect([...vncAuthKey("a1")]).toEqual([0x86, 0x8c, 0, 0, 0, 0, 0, 0])
  expect(vncAuthKey("123456789")).toEqual(vncAuthKey("12345678"))
})

test("the response is the challenge DES-encrypted block by block", () => {
  const challenge = new Uint8Array(16)
  const response = vncAuthResponse("", challenge)
  // An all-zero key and block: the published DES value 8CA64DE9C1B123A7, twice (ECB).
  expect(Buffer.from(response).toString("hex")).toBe("8ca64de9c1b123a78ca64de9c1b123a7")
})

test("a challenge of the wrong size is refused", () => {
  expect(() => vncAuthResponse("pw", new Uint8Array(8))).toThrow("16 bytes")
})
