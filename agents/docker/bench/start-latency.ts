// Start → RFB banner through the driver beside raw `docker run` of the same image, and idle memory per session.
// Usage: bun agents/docker/bench/start-latency.ts [rounds=5]
import { randomUUID } from "node:crypto"
import { readRfbBanner } from "../src/rfb-banner.ts"
import { desktopImage, docker, sessionSpec, testDriver } from "../src/test-support.ts"

const rounds = Number(process.argv[2] ?? 5)
const { driver, options, cleanup } = testDriver({ maxSessions: 100 })
const network = options.network ?? ""
const run = (cmd: string[]) => Bun.spawnSync(cmd).stdout.toString().trim()
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN

async function bannerAt(host: string): Promise<void> {
  for (;;) {
    try {
      return void (await readRfbBanner(host, 5900, 1000))
    } catch {
      await Bun.sleep(20)
    }
  }
}

/** `docker run -d` with the given flags, then poll the banner at the container's IP. */
async function rawRun(flags: string[]): Promise<number> {
  const started = performance.now()
  const id = run([
    "docker",
    "run",
    "-d",
    "--label",
    `streamspace.agent=${options.agentName}`,
    "-e",
    "VNC_PASSWORD=bench123",
    ...flags,
    image,
  ])
  const ip = run(["docker", "inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", id])
  await bannerAt(ip)
  return performance.now() - started
}

async function viaDriver(): Promise<number> {
  const started = performance.now()
  await driver.start(sessionSpec(image, { resources: { cpu: 1, memory: 512 } }))
  return performance.now() - started
}

const image = await desktopImage()
// The driver creates the session network on first use; do that outside the timings.
await driver.start(sessionSpec(image))
const sameAsDriver = () => [
  ...["--network", network, "-v", `streamspace-bench-${randomUUID()}:/home/user`, "--cpus", "1"],
  ...["-m", "512m", "--memory-swap", "512m", "--pids-limit", "512", "--cap-drop", "ALL", "--security-opt", "no-new-privileges"],
]
const times = { rawPlain: [] as number[], rawSameFlags: [] as number[], driver: [] as number[] }
// Interleaved, so load from other work on the machine hits all three alike.
for (let i = 0; i < rounds; i++) {
  times.rawPlain.push(await rawRun([]))
  times.rawSameFlags.push(await rawRun(sameAsDriver()))
  times.driver.push(await viaDriver())
}
for (const [name, xs] of Object.entries(times)) {
  console.log(`${name.padEnd(13)} median ${median(xs).toFixed(0)} ms  (${xs.map((x) => x.toFixed(0)).join(", ")})`)
}
console.log(
  `driver overhead over raw docker run with the same flags: ${(median(times.driver) - median(times.rawSameFlags)).toFixed(0)} ms`,
)

// Idle memory: let the desktops settle, then read each session's cgroup and its processes' RSS.
await Bun.sleep(5000)
const sessions = await docker.listContainers({
  filters: { label: [`streamspace.agent=${options.agentName}`, "streamspace.managed=true"] },
})
const cgroupMiB: number[] = []
const rssMiB: number[] = []
for (const c of sessions) {
  const stats = await docker.getContainer(c.Id).stats({ stream: false })
  const cache = (stats.memory_stats.stats as Record<string, number | undefined>).total_inactive_file ?? 0
  cgroupMiB.push((stats.memory_stats.usage - cache) / 1048576)
  const rssKiB = run(["docker", "exec", c.Id, "ps", "-eo", "rss="]).split(/\s+/).map(Number)
  // Less the ps process itself, which exists only because we asked.
  rssMiB.push((rssKiB.reduce((a, b) => a + b, 0) - (rssKiB.at(-1) ?? 0)) / 1024)
}
console.log(
  `idle session memory over ${sessions.length} sessions: cgroup median ${median(cgroupMiB).toFixed(1)} MiB, ` +
    `processes' RSS median ${median(rssMiB).toFixed(1)} MiB`,
)
await cleanup()
for (const v of (await docker.listVolumes({ filters: { name: ["streamspace-bench-"] } })).Volumes) {
  await docker.getVolume(v.Name).remove()
}
