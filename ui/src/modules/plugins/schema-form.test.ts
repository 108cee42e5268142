import { describe, expect, test } from "vitest"
import { fieldsOf, fromFormValues, toFormValues } from "./schema-form.ts"

const config = {
  type: "object",
  properties: {
    maxSessions: { type: "integer", minimum: 0, description: "Per user" },
    mode: { enum: ["hibernate", "stop"] },
    notify: { type: "boolean" },
    defaults: { $ref: "#/$defs/limits", description: "Everyone's limits" },
    idleMinutes: { type: ["number", "null"], default: 30 },
  },
  $defs: { limits: { type: "object", properties: { sessions: { type: "integer" } } } },
}

// The webhooks plugin's endpoints.create input, as its manifest declares it.
const create = {
  type: "object",
  properties: {
    url: { $ref: "#/$defs/url" },
    events: { $ref: "#/$defs/events" },
    description: { type: "string", maxLength: 500, default: "" },
    enabled: { type: "boolean", default: true },
  },
  required: ["url"],
  $defs: {
    url: { type: "string", pattern: "^https?://[^\\s/?#@]+(/[^\\s]*)?$" },
    events: {
      type: "array",
      maxItems: 2,
      items: { type: "string", pattern: "^(\\*|[a-z][a-zA-Z0-9_]*(\\.[a-z][a-zA-Z0-9_]*)*(\\.\\*)?)$" },
      default: ["*"],
      description: "Event types",
    },
  },
}

describe("a form from a JSON Schema", () => {
  test("simple properties get inputs of their type, structured and nullable ones a JSON editor", () => {
    expect(fieldsOf(config).map((f) => [f.key, f.kind, f.label])).toEqual([
      ["maxSessions", "integer", "Max sessions"],
      ["mode", "enum", "Mode"],
      ["notify", "boolean", "Notify"],
      ["defaults", "json", "Defaults"],
      ["idleMinutes", "json", "Idle minutes"],
    ])
    expect(fieldsOf(config)[1]?.options).toEqual(["hibernate", "stop"])
    expect(fieldsOf({})).toEqual([])
  })

  test("local references are followed; the referring schema's own description wins", () => {
    const [url, events] = fieldsOf(create)
    expect(url).toMatchObject({ key: "url", kind: "string", label: "URL", required: true })
    expect(url?.pattern).toContain("^https?://")
    expect(events).toMatchObject({ kind: "list", default: ["*"], description: "Event types", maxItems: 2, options: [] })
    expect(fieldsOf(config)[3]?.description).toBe("Everyone's limits")
    const picked = fieldsOf({ type: "object", properties: { on: { type: "array", items: { enum: ["a", "b"] } } } })
    expect(picked[0]).toMatchObject({ kind: "list", options: ["a", "b"] })
  })

  test("a config goes to the form and back unchanged", () => {
    const fields = fieldsOf(config)
    const value = { maxSessions: 3, mode: "stop", notify: true, defaults: { sessions: 2, cpu: null }, idleMinutes: null }
    const values = toFormValues(fields, value)
    expect(values.defaults).toBe('{\n  "sessions": 2,\n  "cpu": null\n}')
    expect(fromFormValues(fields, values)).toEqual({ value, errors: null })
  })

  test("defaults fill the form only when asked; the value's own entries win", () => {
    const fields = fieldsOf(create)
    expect(toFormValues(fields, {}, true)).toEqual({ url: undefined, events: ["*"], description: "", enabled: true })
    expect(toFormValues(fields, { enabled: false }, true).enabled).toBe(false)
    expect(toFormValues(fields, {})).toEqual({ url: undefined, events: [], description: undefined, enabled: false })
  })

  test("empty inputs are left out so defaults apply; a required one is named", () => {
    const fields = fieldsOf(create)
    expect(fromFormValues(fields, { url: "https://hooks.example.com/a", events: [], description: "", enabled: false })).toEqual({
      value: { url: "https://hooks.example.com/a", enabled: false },
      errors: null,
    })
    expect(fromFormValues(fields, { url: "", events: ["*"] }).errors).toEqual({ url: "Required." })
  })

  test("broken JSON, non-numbers, numbers out of range, patterns and too many entries are named", () => {
    const bad = fromFormValues(fieldsOf(config), { maxSessions: "many", defaults: "{ sessions: 2" })
    expect(bad.value).toBeNull()
    expect(bad.errors?.maxSessions).toBe("Enter a number.")
    expect(bad.errors?.defaults).toContain("Not valid JSON")

    const numbers = fieldsOf({ type: "object", properties: { n: { type: "integer", minimum: 1, maximum: 9 } } })
    expect(fromFormValues(numbers, { n: "0" }).errors?.n).toBe("At least 1.")
    expect(fromFormValues(numbers, { n: "10" }).errors?.n).toBe("At most 9.")
    expect(fromFormValues(numbers, { n: "2.5" }).errors?.n).toBe("Enter a whole number.")
    expect(fromFormValues(numbers, { n: "7" }).value).toEqual({ n: 7 })

    const fields = fieldsOf(create)
    expect(fromFormValues(fields, { url: "hooks.example.com" }).errors?.url).toMatch(/^Not in the expected form/)
    expect(fromFormValues(fields, { url: "https://x.test/", events: ["Session started"] }).errors?.events).toContain(
      "“Session started” is not in the expected form",
    )
    expect(fromFormValues(fields, { url: "https://x.test/", events: ["a", "b", "c"] }).errors?.events).toBe("At most 2 entries.")
    const uri = fieldsOf({ type: "object", properties: { u: { type: "string", format: "uri" } } })
    expect(fromFormValues(uri, { u: "not a url" }).errors?.u).toContain("Enter a full URL")
  })
})
