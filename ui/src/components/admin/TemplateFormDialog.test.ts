import { flushPromises } from "@vue/test-utils"
import { describe, expect, test } from "vitest"
import { ApiError } from "@/api/problem.ts"
import { mountWithVuetify } from "@/testing/mount.ts"
import TemplateFormDialog from "./TemplateFormDialog.vue"

const props = { modelValue: true, template: null, categories: ["Desktops"], busy: false, error: null }
const dialog = () => document.body.querySelector(".v-dialog") as HTMLElement

function fill(selector: string, value: string) {
  const input = dialog().querySelector(`[data-test=${selector}] input`) as HTMLInputElement
  input.value = value
  input.dispatchEvent(new Event("input"))
}

describe("TemplateFormDialog", () => {
  test("the control plane's field errors appear beside the fields they name", async () => {
    const error = new ApiError(422, "VALIDATION_FAILED", "/name: Expected string to match pattern", [
      { field: "/name", message: "use lower-case letters, digits and dashes" },
      { field: "/image", message: "must not be empty" },
    ])
    const w = mountWithVuetify(TemplateFormDialog, { ...props, error })
    await flushPromises()
    const nameField = dialog().querySelector("[data-test=tpl-name]")
    const imageField = dialog().querySelector("[data-test=tpl-image]")
    expect(nameField?.textContent).toContain("use lower-case letters, digits and dashes")
    expect(imageField?.textContent).toContain("must not be empty")
    // Shown beside their fields, they are not repeated in the alert.
    expect(dialog().querySelector("[data-test=problem]")?.textContent).not.toContain("must not be empty")
    w.unmount()
  })

  test("a valid form is submitted as a TemplateInput", async () => {
    const w = mountWithVuetify(TemplateFormDialog, props)
    await flushPromises()
    fill("tpl-display-name", "Firefox")
    fill("tpl-name", "firefox")
    fill("tpl-image", "streamspace/firefox:latest")
    ;(dialog().querySelector("[data-test=tpl-save]") as HTMLButtonElement).click()
    await flushPromises()
    const submitted = w.findComponent(TemplateFormDialog).emitted("submit")?.[0]?.[0]
    expect(submitted).toMatchObject({
      name: "firefox",
      displayName: "Firefox",
      image: "streamspace/firefox:latest",
      resources: { cpu: 1, memory: 1024 },
    })
    w.unmount()
  })
})
