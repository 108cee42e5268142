// The action dialog knows no API (the Plugins page runs the action through the store): these tests
// drive it through its props and events; ui/e2e/portal.test.ts runs it against the real control plane.
import type { PluginActionDeclaration } from "@streamspace/schemas"
import { enableAutoUnmount, flushPromises } from "@vue/test-utils"
import { afterEach, describe, expect, test } from "vitest"
import { ApiError } from "@/api/problem.ts"
import { mountWithVuetify } from "@/testing/mount.ts"
import PluginActionDialog from "./PluginActionDialog.vue"

// Shaped like the webhooks plugin's endpoints.create and endpoints.list declarations.
const createInput = {
  type: "object" as const,
  properties: {
    url: { $ref: "#/$defs/url" },
    events: { type: "array", items: { type: "string" }, default: ["*"] },
    description: { type: "string", maxLength: 500, default: "" },
    enabled: { type: "boolean", default: true },
  },
  required: ["url"],
  $defs: { url: { type: "string", pattern: "^https?://[^\\s/?#@]+(/[^\\s]*)?$" } },
}
const create: PluginActionDeclaration = {
  name: "endpoints.create",
  description: "Adds an endpoint and answers its signing secret (whsec_…), shown this once",
  input: createInput,
}
const noInput = { type: "object" as const, additionalProperties: false }
const list: PluginActionDeclaration = { name: "endpoints.list", description: "The endpoints", readOnly: true, input: noInput }

const props = { modelValue: true, plugin: "Webhooks", action: create, busy: false, error: null, result: null }
const dialog = () => document.body.querySelector(".v-dialog") as HTMLElement
const field = (key: string) => dialog().querySelector(`[data-test=action-${key}]`) as HTMLElement
const click = async (test: string) => {
  ;(dialog().querySelector(`[data-test=${test}]`) as HTMLButtonElement).click()
  await flushPromises()
}

function type(key: string, value: string) {
  const input = field(key).querySelector("input") as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event("input"))
}

// A failing test must not leave its dialog in the page for the next one to find.
enableAutoUnmount(afterEach)

describe("PluginActionDialog", () => {
  test("the action runs with what was entered, the schema's defaults filled in", async () => {
    const w = mountWithVuetify(PluginActionDialog, props)
    await flushPromises()
    expect(dialog().textContent).toContain("Adds an endpoint and answers its signing secret")
    type("url", "https://hooks.example.com/streamspace")
    type("description", "Ops channel")
    await click("action-run")
    expect(w.findComponent(PluginActionDialog).emitted("run") ?? []).toEqual([
      [{ url: "https://hooks.example.com/streamspace", events: ["*"], description: "Ops channel", enabled: true }],
    ])
  })

  test("a required field left empty stops the run and says so beside the field", async () => {
    const w = mountWithVuetify(PluginActionDialog, props)
    await flushPromises()
    await click("action-run")
    expect(w.findComponent(PluginActionDialog).emitted("run") ?? []).toEqual([])
    expect(field("url").textContent).toContain("Required.")
  })

  test("the one-time secret is shown once with a copy button and the warning; the rest of the answer as a table", async () => {
    mountWithVuetify(PluginActionDialog, {
      ...props,
      result: {
        value: {
          id: "ep_0123456789abcdef",
          url: "https://hooks.example.com/streamspace",
          events: ["*"],
          secret: "whsec_c2VjcmV0",
        },
      },
    })
    await flushPromises()
    const secret = dialog().querySelector("[data-test=secret-value] input") as HTMLInputElement
    expect(secret.value).toBe("whsec_c2VjcmV0")
    expect(dialog().querySelector("[data-test=copy-secret]")).not.toBeNull()
    expect(dialog().textContent).toContain("It is shown only once")
    const fields = dialog().querySelector("[data-test=result-fields]")?.textContent ?? ""
    expect(fields).toContain("ep_0123456789abcdef")
    expect(fields).not.toContain("whsec_")
    // The form is hidden while the answer shows.
    expect(dialog().querySelector<HTMLElement>("[data-test=action-form]")?.style.display).toBe("none")
  })

  test("a list answer is a table with a formatted JSON view on request", async () => {
    const endpoints = [
      { id: "ep_0000000000000001", url: "https://a.test/", events: ["session.*", "user.created"], enabled: true },
      { id: "ep_0000000000000002", url: "https://b.test/", events: ["*"], enabled: false },
    ]
    const w = mountWithVuetify(PluginActionDialog, { ...props, action: list, result: { value: endpoints } })
    await flushPromises()
    const rows = [...dialog().querySelectorAll("[data-test=result-table] tbody tr")].map((r) => r.textContent)
    expect(rows).toHaveLength(2)
    expect(rows[0]).toContain("session.*, user.created")
    expect(dialog().querySelector("[data-test=result-table] thead")?.textContent).toContain("URL")
    await click("result-view-json")
    expect(JSON.parse(dialog().querySelector("[data-test=result-json]")?.textContent ?? "")).toEqual(endpoints)
    await click("action-again")
    expect(w.findComponent(PluginActionDialog).emitted("again")).toHaveLength(1)
  })

  test("an action without input asks for confirmation and runs with an empty input", async () => {
    const w = mountWithVuetify(PluginActionDialog, { ...props, action: list })
    await flushPromises()
    expect(dialog().querySelector("[data-test=action-confirm]")?.textContent).toContain("takes no input")
    await click("action-run")
    expect(w.findComponent(PluginActionDialog).emitted("run") ?? []).toEqual([[{}]])
  })

  test("the control plane's error names the field it is about, beside that field", async () => {
    const error = new ApiError(422, "VALIDATION_FAILED", '/url: must match pattern "^https?://"', [
      { field: "/url", message: 'must match pattern "^https?://"' },
    ])
    mountWithVuetify(PluginActionDialog, { ...props, error })
    await flushPromises()
    expect(field("url").querySelector(".v-messages")?.textContent).toBe('must match pattern "^https?://"')
    const alert = dialog().querySelector("[data-test=problem]")?.textContent ?? ""
    expect(alert).toContain("The action did not run")
  })
})
