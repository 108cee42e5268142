// SchemaForm on its own: the input each kind of property gets, defaults, required fields, and the
// messages its own checks and the control plane's field errors put beside the fields.
import { enableAutoUnmount, flushPromises } from "@vue/test-utils"
import { afterEach, describe, expect, test } from "vitest"
import { ApiError } from "@/api/problem.ts"
import { fieldsOf, type SchemaFormApi } from "@/modules/plugins/schema-form.ts"
import { mountWithVuetify } from "@/testing/mount.ts"
import SchemaForm from "./SchemaForm.vue"

const schema = {
  type: "object",
  properties: {
    url: { type: "string", format: "uri", description: "Where deliveries go" },
    retries: { type: "integer", minimum: 0, maximum: 10, default: 3 },
    enabled: { type: "boolean", default: true },
    verify: { type: "boolean" },
    mode: { enum: ["fast", "safe"], default: "safe" },
    channels: { type: "array", items: { enum: ["email", "chat", "pager"] }, default: ["chat"] },
    events: { type: "array", items: { type: "string" }, default: ["session.*"] },
    headers: { type: "object", additionalProperties: { type: "string" } },
  },
  required: ["url"],
}

const field = (key: string) => document.body.querySelector(`[data-test=f-${key}]`) as HTMLElement
const input = (key: string) => field(key).querySelector("input, textarea") as HTMLInputElement

function type(key: string, value: string) {
  input(key).value = value
  input(key).dispatchEvent(new Event("input"))
}

function mountForm(props: Record<string, unknown> = {}) {
  const w = mountWithVuetify(SchemaForm, { fields: fieldsOf(schema), prefillDefaults: true, testPrefix: "f", ...props })
  const read = () => (w.findComponent(SchemaForm).vm as unknown as SchemaFormApi).read()
  return { read }
}

// A failing test must not leave its dialog in the page for the next one to find.
enableAutoUnmount(afterEach)

describe("SchemaForm", () => {
  test("each kind of property gets its input: text, number with bounds, switch, yes/no, select, multi-select, chips, JSON", () => {
    mountForm()
    expect(input("url").type).toBe("url")
    expect(field("url").textContent).toContain("URL *")
    expect(field("url").textContent).toContain("Where deliveries go")
    expect(input("retries").type).toBe("number")
    expect([input("retries").min, input("retries").max]).toEqual(["0", "10"])
    expect(field("enabled").classList).toContain("v-switch")
    // A boolean with no default may be left out: a Yes/No choice that can stay empty, not a switch.
    expect(field("verify").classList).toContain("v-select")
    expect(field("mode").classList).toContain("v-select")
    expect(field("channels").classList).toContain("v-select")
    expect(field("events").classList).toContain("v-combobox")
    expect(field("headers").querySelector("textarea")).not.toBeNull()
    expect(field("headers").textContent).toContain("Headers (JSON)")
  })

  test("defaults are filled in, and what is entered comes back typed", async () => {
    const { read } = mountForm()
    expect(input("retries").value).toBe("3")
    expect(input("enabled").checked).toBe(true)
    expect(field("mode").textContent).toContain("safe")
    expect(field("channels").querySelector(".v-chip")?.textContent).toContain("chat")
    expect(field("events").querySelector(".v-chip")?.textContent).toContain("session.*")
    type("url", "https://hooks.example.com/a")
    type("retries", "5")
    type("headers", '{ "x-team": "infra" }')
    await flushPromises()
    expect(read()).toEqual({
      url: "https://hooks.example.com/a",
      retries: 5,
      enabled: true,
      mode: "safe",
      channels: ["chat"],
      events: ["session.*"],
      headers: { "x-team": "infra" },
    })
  })

  test("without prefilled defaults the fields start empty and name their default in the hint", () => {
    const { read } = mountForm({ prefillDefaults: false, initial: { url: "https://a.test/" } })
    expect(input("url").value).toBe("https://a.test/")
    expect(input("retries").value).toBe("")
    expect(field("retries").textContent).toContain("Default: 3")
    expect(read()).toEqual({ url: "https://a.test/", enabled: false })
  })

  test("a required field left empty and values out of bounds are named beside their fields; nothing is read", async () => {
    const { read } = mountForm()
    type("retries", "11")
    type("headers", "{ nope")
    await flushPromises()
    expect(read()).toBeNull()
    await flushPromises()
    expect(field("url").querySelector(".v-messages")?.textContent).toBe("Required.")
    expect(field("retries").querySelector(".v-messages")?.textContent).toBe("At most 10.")
    expect(field("headers").querySelector(".v-messages")?.textContent).toContain("Not valid JSON")
  })

  test("the control plane's field errors land on the fields they name, under the form's prefix", async () => {
    const error = new ApiError(422, "PLUGIN_CONFIG_INVALID", "/config/retries: must be <= 10", [
      { field: "/config/retries", message: "must be <= 10" },
    ])
    mountForm({ error, errorPrefix: "config/" })
    await flushPromises()
    expect(field("retries").querySelector(".v-messages")?.textContent).toBe("must be <= 10")
    expect(field("url").querySelector(".v-messages")?.textContent).not.toContain("must be")
  })
})
