#!/usr/bin/env bun
// streamspace-plugin build <entry.ts> [--out dist/plugin.js] [--manifest manifest.json]: bundle and check a plugin.
import { dirname, resolve } from "node:path"
import { mkdir } from "node:fs/promises"
import { checkManifest, PluginInstallError } from "@streamspace/plugin-runtime/host"
import { buildPlugin, PluginBuildError } from "./build.ts"

const USAGE = "usage: streamspace-plugin build <entry.ts> [--out dist/plugin.js] [--manifest manifest.json] [--minify]"

const option = (args: string[], name: string): string | undefined => {
  const at = args.indexOf(name)
  return at === -1 ? undefined : args[at + 1]
}

async function main(args: string[]): Promise<number> {
  const [command, entry] = args
  if (command !== "build" || entry === undefined || entry.startsWith("--")) {
    console.error(USAGE)
    return 2
  }
  const manifestPath = option(args, "--manifest")
  if (manifestPath !== undefined) checkManifest(await Bun.file(manifestPath).json())
  const out = resolve(option(args, "--out") ?? "dist/plugin.js")
  const build = await buildPlugin(resolve(entry), { minify: args.includes("--minify") })
  await mkdir(dirname(out), { recursive: true })
  await Bun.write(out, build.code)
  console.log(`${out}: ${build.bytes} bytes, sha256 ${build.sha256}`)
  return 0
}

try {
  process.exitCode = await main(process.argv.slice(2))
} catch (error) {
  if (!(error instanceof PluginBuildError || error instanceof PluginInstallError)) throw error
  console.error(error.message)
  process.exitCode = 1
}
