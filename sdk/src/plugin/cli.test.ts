import { expect, test } from "bun:test"
import { mkdtemp, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"

const CLI = join(import.meta.dir, "cli.ts")
const FIXTURES = join(import.meta.dir, "fixtures")

const run = async (...args: string[]) => {
  const proc = Bun.spawn(["bun", CLI, ...args], { stdout: "pipe", stderr: "pipe" })
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ])
  return { stdout, stderr, code }
}

test("build writes the bundle and prints its size and sha256 after checking the manifest", async () => {
  const out = join(await mkdtemp(join(tmpdir(), "plugin-cli-")), "plugin.js")
  const result = await run(
    "build",
    join(FIXTURES, "quota-plugin.ts"),
    "--out",
    out,
    "--manifest",
    join(FIXTURES, "manifest.json"),
  )
  expect(result.code).toBe(0)
  expect(result.stdout).toMatch(/plugin\.js: \d+ bytes, sha256 [0-9a-f]{64}/)
  expect(await Bun.file(out).text()).toContain('from "host:api"')
})

test("build refuses an invalid manifest, naming the field", async () => {
  const dir = await mkdtemp(join(tmpdir(), "plugin-cli-"))
  const manifest = join(dir, "manifest.json")
  await writeFile(manifest, JSON.stringify({ ...(await Bun.file(join(FIXTURES, "manifest.json")).json()), id: "Not Valid" }))
  const result = await run("build", join(FIXTURES, "quota-plugin.ts"), "--manifest", manifest, "--out", join(dir, "p.js"))
  expect(result.code).toBe(1)
  expect(result.stderr).toContain("The manifest is invalid at /id")
})

test("without a command it prints the usage", async () => {
  const result = await run()
  expect(result.code).toBe(2)
  expect(result.stderr).toContain("usage: streamspace-plugin build")
})
