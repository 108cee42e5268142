import { flushPromises } from "@vue/test-utils"
import { describe, expect, test, vi } from "vitest"
import { mountWithVuetify } from "@/testing/mount.ts"
import SecretReveal from "./SecretReveal.vue"

describe("SecretReveal", () => {
  test("the secret is shown read-only with a warning that it is shown once", () => {
    const w = mountWithVuetify(SecretReveal, { secret: "ssk_secret123", label: "API key" })
    const input = w.get("[data-test=secret-value] input").element as HTMLInputElement
    expect(input.value).toBe("ssk_secret123")
    expect(input.readOnly).toBe(true)
    expect(w.text()).toContain("It is shown only once")
  })

  test("copy puts the secret on the clipboard and says so", async () => {
    const writeText = vi.spyOn(navigator.clipboard, "writeText")
    const w = mountWithVuetify(SecretReveal, { secret: "ssk_secret123", label: "API key" })
    await w.get("[data-test=copy-secret]").trigger("click")
    await flushPromises()
    expect(writeText).toHaveBeenCalledWith("ssk_secret123")
    expect(await navigator.clipboard.readText()).toBe("ssk_secret123")
    expect(w.text()).toContain("Copied to the clipboard.")
  })

  test("a refused clipboard tells the user to copy by hand", async () => {
    vi.spyOn(navigator.clipboard, "writeText").mockRejectedValueOnce(new Error("denied"))
    const w = mountWithVuetify(SecretReveal, { secret: "ssk_secret123", label: "API key" })
    await w.get("[data-test=copy-secret]").trigger("click")
    await flushPromises()
    expect(w.text()).toContain("copy it by hand")
  })
})
