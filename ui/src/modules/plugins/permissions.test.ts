import { describe, expect, test } from "vitest"
import { describePermissions } from "./permissions.ts"

describe("a plugin's permissions in words", () => {
  test("each permission asked for becomes one line; nothing asked, nothing listed", () => {
    expect(describePermissions({})).toEqual([])
    expect(
      describePermissions({
        sessions: "read",
        users: "write",
        http: { allow: ["https://hooks.example.com/"] },
        kv: { quotaBytes: 65536 },
        secrets: ["token"],
        secretStore: { maxSecrets: 100 },
        crypto: true,
      }),
    ).toEqual([
      "Read sessions",
      "Read and change users",
      "Fetch from https://hooks.example.com/",
      "Store up to 64 KiB of its own data",
      "Read the secrets token",
      "Keep up to 100 secrets of its own, encrypted",
      "Hash passwords, sign with HMAC, draw random bytes",
    ])
  })
})
