// buildPlugin: bundles a plugin into one ESM file whose only import is host:api, or fails saying what else it imports.
import { createHash } from "node:crypto"
import { builtinModules } from "node:module"

export interface PluginBuild {
  code: string
  /** Hex sha256 of the bundle: the content address the core stores it under. */
  sha256: string
  bytes: number
}

export class PluginBuildError extends Error {}

const HOST_API = "host:api"
const escapeRegExp = (name: string) => name.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")
const BUILTIN = new RegExp(`^(node:.*|bun(:.*)?|${builtinModules.map(escapeRegExp).join("|")})(/.*)?$`)

/** Bun would quietly stub Node built-ins for the browser target; keep them as imports so the check below names them. */
const keepBuiltinsVisible: import("bun").BunPlugin = {
  name: "keep-builtins-visible",
  setup(build) {
    build.onResolve({ filter: BUILTIN }, (args) => ({ path: args.path, external: true }))
  },
}

/** Every import the bundle still has that the sandbox will refuse. */
export const foreignImports = (code: string): string[] =>
  new Bun.Transpiler({ loader: "js" })
    .scanImports(code)
    .filter((i) => i.path !== HOST_API || i.kind !== "import-statement")
    .map((i) => (i.kind === "import-statement" ? i.path : `${i.path} (${i.kind})`))

export const buildPlugin = async (entry: string, options: { minify?: boolean } = {}): Promise<PluginBuild> => {
  const result = await Bun.build({
    entrypoints: [entry],
    format: "esm",
    target: "browser",
    external: [HOST_API],
    minify: options.minify ?? false,
    splitting: false,
    plugins: [keepBuiltinsVisible],
  })
  if (!result.success) throw new PluginBuildError(`Bundling ${entry} failed:\n${result.logs.map(String).join("\n")}`)
  const output = result.outputs[0]
  if (output === undefined || result.outputs.length !== 1)
    throw new PluginBuildError(`Bundling ${entry} did not give exactly one file.`)
  const code = await output.text()
  const foreign = foreignImports(code)
  if (foreign.length > 0) {
    throw new PluginBuildError(
      `The bundle of ${entry} still imports ${foreign.join(", ")}; a plugin may import only "${HOST_API}" (the sandbox has no Node or network).`,
    )
  }
  return { code, sha256: createHash("sha256").update(code).digest("hex"), bytes: Buffer.byteLength(code) }
}
