import type { Template } from "@streamspace/schemas"
import { describe, expect, test } from "vitest"
import { fromForm, toForm } from "./form.ts"

const template: Template = {
  id: "6b0c7f7e-3c1a-4a51-9b7e-0f5f1d3f1a11",
  name: "terminal",
  displayName: "Terminal",
  description: "An xterm",
  category: "Development",
  tags: ["cli", "shell"],
  icon: "",
  image: "streamspace/desktop:latest",
  vncPort: 5900,
  resources: { cpu: 0.5, memory: 512 },
  env: { STREAMSPACE_APP: "xterm", GREETING: "a=b" },
  homePath: "/home/user",
  allowOutbound: false,
  enabled: true,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
}

describe("the template form", () => {
  test("a template survives the trip through the form unchanged", () => {
    const result = fromForm(toForm(template))
    const { id: _, createdAt: __, updatedAt: ___, ...input } = template
    expect(result.errors).toBeNull()
    expect(result.input).toEqual(input)
  })

  test("a new form starts with sensible defaults", () => {
    const form = toForm()
    expect(form.vncPort).toBe("5900")
    expect(form.enabled).toBe(true)
    expect(form.homePath).toBe("/home/user")
  })

  test("numbers that are not numbers are named with the API's field keys", () => {
    const result = fromForm({ ...toForm(template), cpu: "lots", memory: "", vncPort: "59o0" })
    expect(result.input).toBeNull()
    expect(result.errors).toEqual({
      "resources/cpu": "Enter a number.",
      "resources/memory": "Enter a number.",
      vncPort: "Enter a number.",
    })
  })

  test("an environment line without KEY= is refused with its line number; blank lines are fine", () => {
    const result = fromForm({ ...toForm(template), env: "A=1\n\nnot a pair" })
    expect(result.errors).toEqual({ env: "Line 3 is not KEY=value." })
  })

  test("text fields are trimmed and empty tags dropped", () => {
    const result = fromForm({ ...toForm(template), displayName: "  Term  ", tags: [" cli ", " "] })
    expect(result.input?.displayName).toBe("Term")
    expect(result.input?.tags).toEqual(["cli"])
  })
})
