// Runs StreamSpace as N replicas behind HAProxy on this machine: `bun deploy/local-ha/main.ts [replicas]`.
import { randomBytes } from "node:crypto"
import { startLocalHa } from "./local-ha.ts"

const replicas = Number(process.argv[2] ?? process.env.REPLICAS ?? 3)
if (!Number.isInteger(replicas) || replicas < 1 || replicas > 16) {
  console.error("Give the number of replicas (1–16), e.g. `bun deploy/local-ha/main.ts 3`.")
  process.exit(2)
}
const databaseUrl = process.env.DATABASE_URL
if (!databaseUrl?.startsWith("postgres")) {
  console.error(
    "Set DATABASE_URL to a PostgreSQL database the replicas share, e.g. postgres://postgres@127.0.0.1:5432/streamspace.",
  )
  process.exit(2)
}
const ha = await startLocalHa({
  replicas,
  databaseUrl,
  redisUrl: process.env.REDIS_URL ?? "redis://127.0.0.1:6379",
  port: Number(process.env.PORT ?? 8080),
  // Every replica must sign and check tokens with the same key.
  jwtSecret: process.env.JWT_SECRET ?? randomBytes(32).toString("hex"),
  // Replicas log at info: their "ready" line is how this script knows they are up.
  env: { LOCAL_DOCKER_AGENT: "off", PUBLIC_URL: process.env.PUBLIC_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}` },
})
console.log(`StreamSpace: ${replicas} replicas behind HAProxy at ${ha.url}`)
for (const r of ha.replicas) console.log(`  ${r.name}: ${r.url}`)
const setup = ha.replicas[0]?.process?.lines.find((l) => l.includes("one-time setup token"))
if (setup) console.log(ha.replicas[0]?.process?.lines.slice(-4).join("\n"))
const stop = async () => {
  await ha.stop()
  process.exit(0)
}
process.on("SIGINT", () => void stop())
process.on("SIGTERM", () => void stop())
