import { describe, expect, test } from "vitest"
import { functionKey, KEY, SHORTCUTS, strokes } from "./shortcuts.ts"

describe("key combinations for the desktop", () => {
  test("Ctrl+Alt+Del presses Control, Alt, Delete and releases them in reverse", () => {
    const cad = SHORTCUTS.find((s) => s.id === "ctrl-alt-del")
    expect(cad).toBeDefined()
    expect(strokes(cad!).map(({ key, down }) => `${down ? "+" : "-"}${key.keysym.toString(16)}`)).toEqual([
      "+ffe3",
      "+ffe9",
      "+ffff",
      "-ffff",
      "-ffe9",
      "-ffe3",
    ])
  })

  test("function keys map to the X keysyms F1 = 0xffbe … F12 = 0xffc9, and nothing else is one", () => {
    expect(functionKey(1)).toEqual({ keysym: 0xffbe, code: "F1" })
    expect(functionKey(12)).toEqual({ keysym: 0xffc9, code: "F12" })
    expect(() => functionKey(13)).toThrow(RangeError)
    expect(() => functionKey(0)).toThrow(RangeError)
  })

  test("the menu offers the combinations a browser keeps for itself, each once", () => {
    const ids = SHORTCUTS.map((s) => s.id)
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ["ctrl-w", "ctrl-t", "alt-tab", "super", "ctrl-alt-f1", "ctrl-alt-f12"]) expect(ids).toContain(id)
    expect(SHORTCUTS.find((s) => s.id === "super")?.keys).toEqual([KEY.Super])
  })
})
