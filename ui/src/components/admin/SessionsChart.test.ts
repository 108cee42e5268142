import { describe, expect, test } from "vitest"
import type { HourBucket } from "@/modules/sessions/activity.ts"
import { mountWithVuetify } from "@/testing/mount.ts"
import SessionsChart from "./SessionsChart.vue"

const start = Date.UTC(2026, 0, 15, 0)
const buckets: HourBucket[] = Array.from({ length: 24 }, (_, i) => ({
  start: start + i * 3_600_000,
  active: i === 10 ? 7 : 1,
  launched: i % 2,
}))

describe("SessionsChart", () => {
  test("one bar per hour, the tallest for the busiest hour", () => {
    const w = mountWithVuetify(SessionsChart, { buckets })
    const bars = w.findAll(".bars rect")
    expect(bars).toHaveLength(24)
    const heights = bars.map((b) => Number(b.attributes("height")))
    expect(Math.max(...heights)).toBe(heights[10])
    expect(heights[0]).toBeGreaterThan(0)
  })

  test("the axis stops at a round number above the peak", () => {
    const w = mountWithVuetify(SessionsChart, { buckets })
    const ticks = w.findAll(".grid text").map((t) => Number(t.text()))
    expect(ticks).toEqual([0, 2, 4, 6, 8])
  })

  test("screen readers get a summary and the numbers as a table", () => {
    const w = mountWithVuetify(SessionsChart, { buckets })
    expect(w.get("svg").attributes("aria-label")).toContain("12 launched; at most 7 active")
    expect(w.findAll("table tbody tr")).toHaveLength(24)
  })

  test("an empty day draws no bars of height but keeps its axis", () => {
    const quiet = buckets.map((b) => ({ ...b, active: 0, launched: 0 }))
    const w = mountWithVuetify(SessionsChart, { buckets: quiet })
    expect(w.findAll(".bars rect").every((b) => Number(b.attributes("height")) === 0)).toBe(true)
    expect(w.findAll(".grid text").map((t) => t.text())).toEqual(["0", "1", "2", "3", "4"])
  })
})
