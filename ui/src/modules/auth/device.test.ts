import { describe, expect, test } from "vitest"
import { deviceOf } from "./device.ts"

describe("a sign-in's device, named from its user agent", () => {
  test("common browsers and systems", () => {
    expect(
      deviceOf("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"),
    ).toBe("Chrome on Linux")
    expect(deviceOf("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0")).toBe(
      "Firefox on Windows",
    )
    expect(
      deviceOf(
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 Version/18.0 Mobile/15E148 Safari/604.1",
      ),
    ).toBe("Safari on iOS")
    expect(deviceOf("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/131.0 Safari/537.36 Edg/131.0")).toBe(
      "Edge on Windows",
    )
  })

  test("API clients by their own name, and nothing as an unknown device", () => {
    expect(deviceOf("curl/8.5.0")).toBe("curl")
    expect(deviceOf("streamspace-cli/1.2")).toBe("streamspace-cli")
    expect(deviceOf("  ")).toBe("Unknown device")
  })
})
