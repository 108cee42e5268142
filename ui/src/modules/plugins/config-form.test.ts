import { describe, expect, test } from "vitest"
import { fieldsOf, fromFormValues, toFormValues } from "./config-form.ts"
import { describePermissions } from "./permissions.ts"

const schema = {
  type: "object",
  properties: {
    maxSessions: { type: "integer", minimum: 0, description: "Per user" },
    mode: { enum: ["hibernate", "stop"] },
    notify: { type: "boolean" },
    defaults: { $ref: "#/$defs/limits", description: "Everyone's limits" },
  },
}

describe("a plugin's config form from its configSchema", () => {
  test("simple properties get inputs of their type, structured ones a JSON editor", () => {
    expect(fieldsOf(schema).map((f) => [f.key, f.kind, f.label])).toEqual([
      ["maxSessions", "integer", "Max sessions"],
      ["mode", "enum", "Mode"],
      ["notify", "boolean", "Notify"],
      ["defaults", "json", "Defaults"],
    ])
    expect(fieldsOf(schema)[1]?.options).toEqual(["hibernate", "stop"])
    expect(fieldsOf({})).toEqual([])
  })

  test("a config goes to the form and back unchanged", () => {
    const fields = fieldsOf(schema)
    const config = { maxSessions: 3, mode: "stop", notify: true, defaults: { sessions: 2, cpu: null } }
    const values = toFormValues(fields, config)
    expect(values.defaults).toBe('{\n  "sessions": 2,\n  "cpu": null\n}')
    expect(fromFormValues(fields, values)).toEqual({ config, errors: null })
  })

  test("empty inputs are left out so defaults apply; broken JSON and non-numbers are named", () => {
    const fields = fieldsOf(schema)
    expect(fromFormValues(fields, { maxSessions: "", defaults: "" })).toEqual({ config: {}, errors: null })
    const bad = fromFormValues(fields, { maxSessions: "many", defaults: "{ sessions: 2" })
    expect(bad.config).toBeNull()
    expect(Object.keys(bad.errors ?? {})).toEqual(["maxSessions", "defaults"])
    expect(bad.errors?.defaults).toContain("Not valid JSON")
  })
})

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
