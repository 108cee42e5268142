// registerFormats makes Value.Check understand the formats our shapes use.
import { expect, test } from "bun:test"
import { Type } from "@sinclair/typebox"
import { Value } from "@sinclair/typebox/value"
import { registerFormats } from "./formats.ts"

test("uuid, date-time and email are checked once registered", () => {
  registerFormats()
  registerFormats() // a second call changes nothing
  expect(Value.Check(Type.String({ format: "uuid" }), "6c0e3f54-7d55-4a45-9a8e-0b8a4c9d1e11")).toBe(true)
  expect(Value.Check(Type.String({ format: "uuid" }), "../../etc")).toBe(false)
  expect(Value.Check(Type.String({ format: "date-time" }), "2026-01-02T03:04:05Z")).toBe(true)
  expect(Value.Check(Type.String({ format: "date-time" }), "yesterday")).toBe(false)
  expect(Value.Check(Type.String({ format: "email" }), "ada@example.org")).toBe(true)
  expect(Value.Check(Type.String({ format: "email" }), "ada")).toBe(false)
})
