// Runs every suite of the repo and prints one closing line: `N passed, N failed`.
// Usage: bun run test [--db pglite|postgres|both]   (default: both when PostgreSQL answers)
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs"
import { join } from "node:path"
import postgres from "postgres"

const root = join(import.meta.dir, "..")
const outDir = join(root, "artifacts", "test-results")
rmSync(outDir, { recursive: true, force: true })
mkdirSync(outDir, { recursive: true })

const dbArg = process.argv.includes("--db") ? process.argv[process.argv.indexOf("--db") + 1] : "auto"

async function postgresAnswers(): Promise<boolean> {
  const sql = postgres(process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres", {
    max: 1,
    connect_timeout: 3,
    onnotice: () => {},
  })
  try {
    await sql`select 1`
    return true
  } catch {
    return false
  } finally {
    await sql.end({ timeout: 1 })
  }
}

interface Totals {
  passed: number
  failed: number
}
const totals: Totals = { passed: 0, failed: 0 }

/** Counts from a JUnit XML report: bun test writes one with --reporter=junit. */
function countJunit(file: string): Totals {
  if (!existsSync(file)) return { passed: 0, failed: 1 }
  const xml = readFileSync(file, "utf8")
  const tests = Number(xml.match(/<testsuites[^>]*\btests="(\d+)"/)?.[1] ?? 0)
  const failures = Number(xml.match(/<testsuites[^>]*\bfailures="(\d+)"/)?.[1] ?? 0)
  const skipped = Number(xml.match(/<testsuites[^>]*\bskipped="(\d+)"/)?.[1] ?? 0)
  // A skipped test counts as a failure here: the house rule is that nothing is skipped.
  return { passed: tests - failures - skipped, failed: failures + skipped }
}

async function bunSuite(name: string, paths: string[], env: Record<string, string> = {}) {
  const report = join(outDir, `${name}.xml`)
  console.log(`\n=== ${name}: bun test ${paths.join(" ")}`)
  // "./dir", not "dir": bun test takes a bare word as a substring filter (`agents` also ran core/src/modules/agents).
  const asPaths = paths.map((p) => (p.startsWith("./") || p.startsWith("/") ? p : `./${p}`))
  const proc = Bun.spawn(["bun", "test", "--timeout", "120000", "--reporter=junit", `--reporter-outfile=${report}`, ...asPaths], {
    cwd: root,
    stdout: "inherit",
    stderr: "inherit",
    env: { ...process.env, ...env },
  })
  const code = await proc.exited
  const counts = countJunit(report)
  // A crashed runner that wrote no failures still failed.
  if (code !== 0 && counts.failed === 0) counts.failed = 1
  console.log(`=== ${name}: ${counts.passed} passed, ${counts.failed} failed`)
  totals.passed += counts.passed
  totals.failed += counts.failed
}

/** Folders that hold bun tests (the plugin runtime's node:test files are run by node, below). */
const withTests = (dirs: string[]) =>
  dirs.filter((dir) =>
    [...new Bun.Glob(`${dir}/**/*.test.ts`).scanSync({ cwd: root })].some(
      (f) => !f.includes("node_modules") && !f.startsWith("plugins/runtime/src/node/"),
    ),
  )
// plugins/runtime/src/node holds node:test files that must not run under Bun: name the other folders.
const pluginDirs = [
  "plugins/runtime/src/host",
  "plugins/runtime/src/shared",
  ...[...new Bun.Glob("plugins/*/package.json").scanSync({ cwd: root })]
    .map((f) => f.slice(0, -"/package.json".length))
    .filter((dir) => dir !== "plugins/runtime"),
]
const dbSuitePaths = withTests(["core", "sdk", "schemas"])
// deploy/ holds the multi-replica tests (HAProxy, Redis, PostgreSQL, Docker): they need PostgreSQL whatever --db says.
// agents/kubernetes runs as its own suite: it needs the Kubernetes binaries (scripts/kube/build-apiserver.sh).
const agentDirs = [...new Bun.Glob("agents/*/package.json").scanSync({ cwd: root })]
  .map((f) => f.slice(0, -"/package.json".length))
  .filter((dir) => dir !== "agents/kubernetes")
const otherPaths = withTests([...agentDirs, ...pluginDirs, "images", "bench", "deploy"])

/** The Kubernetes agent against a real kube-apiserver: says so loudly when it is not built, and fails. */
async function kubernetesSuite() {
  const dir = Bun.spawnSync(["bash", "scripts/kube/build-apiserver.sh", "--dir"], { cwd: root }).stdout.toString().trim()
  if (!existsSync(join(dir, "kube-apiserver")))
    console.log(
      `\n!!! KUBERNETES IS NOT BUILT (${dir} has no kube-apiserver): the agents/kubernetes suite will FAIL. ` +
        "Run scripts/kube/build-apiserver.sh (scripts/setup.sh test does). !!!",
    )
  await bunSuite("agent-kubernetes", ["agents/kubernetes"])
}

/** The plugin runtime's node:test suite, run by Node 20 on the bundled test files. */
async function nodeSuite() {
  console.log("\n=== plugin-runtime: node --test")
  const proc = Bun.spawn(["bun", "run", "test:node"], {
    cwd: join(root, "plugins", "runtime"),
    stdout: "pipe",
    stderr: "inherit",
  })
  const output = await new Response(proc.stdout).text()
  process.stdout.write(output)
  const code = await proc.exited
  const passed = Number(output.match(/^# pass (\d+)$/m)?.[1] ?? 0)
  let failed = Number(output.match(/^# fail (\d+)$/m)?.[1] ?? 0) + Number(output.match(/^# skipped (\d+)$/m)?.[1] ?? 0)
  if (code !== 0 && failed === 0) failed = 1
  console.log(`=== plugin-runtime: ${passed} passed, ${failed} failed`)
  totals.passed += passed
  totals.failed += failed
}

/** The portal's component tests: vitest (under Node) with happy-dom, counted from its JUnit report. */
async function vitestSuite() {
  const report = join(outDir, "ui-components.xml")
  console.log("\n=== ui-components: vitest run")
  const proc = Bun.spawn(
    ["./node_modules/.bin/vitest", "run", "--reporter=default", "--reporter=junit", `--outputFile.junit=${report}`],
    {
      cwd: join(root, "ui"),
      stdout: "inherit",
      stderr: "inherit",
    },
  )
  const code = await proc.exited
  const counts = countJunit(report)
  if (code !== 0 && counts.failed === 0) counts.failed = 1
  console.log(`=== ui-components: ${counts.passed} passed, ${counts.failed} failed`)
  totals.passed += counts.passed
  totals.failed += counts.failed
}

const wantPostgres =
  dbArg === "postgres" || dbArg === "both" || (dbArg === "auto" && (process.env.CI === "true" || (await postgresAnswers())))
const wantPglite = dbArg !== "postgres"

if (wantPglite) await bunSuite("core-on-pglite", dbSuitePaths, { TEST_DATABASE: "pglite" })
if (wantPostgres) await bunSuite("core-on-postgres", dbSuitePaths, { TEST_DATABASE: "postgres" })
if (otherPaths.length) await bunSuite("agents-plugins", otherPaths)
await kubernetesSuite()
await nodeSuite()
await vitestSuite()
// The portal in Debian's Chromium against the control plane started as a process (PGlite).
await bunSuite("ui-e2e", ["ui/e2e"])

console.log(`\n${totals.passed} passed, ${totals.failed} failed`)
process.exit(totals.failed > 0 ? 1 : 0)
