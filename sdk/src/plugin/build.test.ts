import { expect, test } from "bun:test"
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { buildPlugin, foreignImports } from "./build.ts"

const FIXTURE = join(import.meta.dir, "fixtures", "quota-plugin.ts")

test("a plugin bundles into one ESM file whose only import is host:api", async () => {
  const build = await buildPlugin(FIXTURE)
  expect(foreignImports(build.code)).toEqual([])
  expect(build.code).toContain('from "host:api"')
  expect(build.code).toContain("running sessions reached")
  expect(build.sha256).toMatch(/^[0-9a-f]{64}$/)
  expect(build.bytes).toBe(Buffer.byteLength(build.code))
})

test("a plugin that imports a Node module fails to build, naming the import", async () => {
  const dir = await mkdtemp(join(tmpdir(), "plugin-build-"))
  const entry = join(dir, "bad.ts")
  await writeFile(
    entry,
    `import { readFileSync } from "node:fs"\nexport default { hooks: { x: () => readFileSync("/etc/passwd", "utf8") } }\n`,
  )
  await expect(buildPlugin(entry)).rejects.toThrow(/still imports node:fs; a plugin may import only "host:api"/)
})

test("require calls and dynamic imports count as foreign imports", () => {
  expect(foreignImports(`const fs = require("fs"); export default {}`)).toEqual(["fs (require-call)"])
  expect(foreignImports(`export default { h: () => import("host:api") }`)).toEqual(["host:api (dynamic-import)"])
})
