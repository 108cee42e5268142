import type { MarketplaceEntry } from "@streamspace/schemas"
import { describe, expect, test } from "vitest"
import { compareVersions, isUpgrade } from "./versions.ts"

const entry = (version: string, installedVersion: string | null) =>
  ({ pluginId: "x.y", version, installedVersion, installed: installedVersion !== null }) as MarketplaceEntry

describe("plugin versions", () => {
  test("compares releases by number, not as text", () => {
    expect(compareVersions("1.10.0", "1.9.3")).toBeGreaterThan(0)
    expect(compareVersions("2.0.0", "10.0.0")).toBeLessThan(0)
    expect(compareVersions("1.2.3", "1.2.3")).toBe(0)
    expect(compareVersions("1.2.3-beta.1", "1.2.3")).toBe(0)
  })

  test("only a newer version of an installed plugin is an upgrade", () => {
    expect(isUpgrade(entry("1.1.0", "1.0.0"))).toBe(true)
    expect(isUpgrade(entry("1.0.0", "1.0.0"))).toBe(false)
    expect(isUpgrade(entry("0.9.0", "1.0.0"))).toBe(false)
    expect(isUpgrade(entry("1.1.0", null))).toBe(false)
  })
})
