import { describe, expect, test } from "vitest"
import { mountWithVuetify } from "@/testing/mount.ts"
import ViewerToolbar from "./ViewerToolbar.vue"

const base = {
  title: "Linux Desktop",
  phase: "connected",
  level: "control",
  latencyMs: 42,
  latencyAvailable: true,
  fullscreen: false,
  scaling: "fit",
  clipboardOpen: false,
}

describe("the viewer's toolbar", () => {
  test("arrow keys move the focus along the controls, Home and End jump to the ends", async () => {
    const wrapper = mountWithVuetify(ViewerToolbar, base)
    const bar = wrapper.get('[role="toolbar"]')
    const items = bar.findAll("[data-toolbar-item]").map((w) => w.element as HTMLElement)
    expect(items.length).toBeGreaterThanOrEqual(5)
    items[0]?.focus()
    await bar.trigger("keydown", { key: "ArrowRight" })
    expect(document.activeElement).toBe(items[1])
    await bar.trigger("keydown", { key: "ArrowLeft" })
    await bar.trigger("keydown", { key: "ArrowLeft" })
    expect(document.activeElement).toBe(items.at(-1))
    await bar.trigger("keydown", { key: "Home" })
    expect(document.activeElement).toBe(items[0])
    wrapper.unmount()
  })

  test("a view-only share is marked, and key combinations are off", () => {
    const wrapper = mountWithVuetify(ViewerToolbar, { ...base, level: "view" })
    expect(wrapper.get('[data-test="view-only"]').text()).toContain("View only")
    expect(wrapper.get('[data-test="shortcuts"]').attributes("disabled")).toBeDefined()
    wrapper.unmount()
  })

  test("latency shows the last round trip while connected, and a dash otherwise", () => {
    const live = mountWithVuetify(ViewerToolbar, base)
    expect(live.get('[data-test="latency"]').text()).toBe("Latency 42 ms")
    live.unmount()
    const down = mountWithVuetify(ViewerToolbar, { ...base, phase: "retrying" })
    expect(down.get('[data-test="latency"]').text()).toBe("Latency —")
    expect(down.find('[data-test="reconnect"]').exists()).toBe(true)
    down.unmount()
  })
})
