// Bundles the Node side of the runtime (and, with --tests, its node:test files) into dist/ with `bun build --target=node`.
import { rename } from "node:fs/promises"
import { join } from "node:path"

const PACKAGE_DIR = join(import.meta.dir, "..", "..")
const NODE_SRC = join(PACKAGE_DIR, "src", "node")
export const DIST_DIR = join(PACKAGE_DIR, "dist")

const build = async (entrypoints: string[], outdir: string, naming = "[name].[ext]"): Promise<string[]> => {
  const result = await Bun.build({
    entrypoints,
    target: "node",
    format: "esm",
    naming,
    // A native addon: Node loads it from node_modules next to dist/.
    external: ["isolated-vm"],
  })
  if (!result.success) throw new AggregateError(result.logs, "Building the plugin runtime failed")
  const written: string[] = []
  for (const output of result.outputs) {
    const target = join(outdir, output.path)
    // Write then rename, so a runtime starting in another process never reads half a file.
    const partial = `${target}.${process.pid}.partial`
    await Bun.write(partial, output)
    await rename(partial, target)
    written.push(target)
  }
  return written
}

let built: Promise<string> | undefined

/** Builds dist/runtime.js once per process and returns its path; the supervisor starts Node on it. */
export const buildRuntime = (): Promise<string> => {
  built ??= build([join(NODE_SRC, "main.ts")], DIST_DIR, "runtime.[ext]").then(() => join(DIST_DIR, "runtime.js"))
  return built
}

/** Builds the node:test files into dist/test/ so Node 20 can run them. */
export const buildRuntimeTests = async (): Promise<string[]> => {
  const tests = [...new Bun.Glob("*.test.ts").scanSync(NODE_SRC)].map((file) => join(NODE_SRC, file))
  return build(tests, join(DIST_DIR, "test"))
}

if (import.meta.main) {
  const outputs = process.argv.includes("--tests") ? await buildRuntimeTests() : [await buildRuntime()]
  for (const file of outputs) console.log(`built ${file}`)
}
