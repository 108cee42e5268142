// A child process for lease tests: runs one LeaseElector on a file or Redis lease and prints each change as a line.
// Usage: bun lease-holder-process.ts <holder> file <path> | redis <url> <name>
import pino from "pino"
import { FileLease } from "./file-lease.ts"
import { LeaseElector } from "./lease-elector.ts"
import { RedisLease } from "./redis-lease.ts"

const [holder, kind, where, name] = process.argv.slice(2)
if (!holder || !where || (kind !== "file" && kind !== "redis")) {
  console.error("usage: lease-holder-process.ts <holder> file <path> | redis <url> <name>")
  process.exit(2)
}
const backend = kind === "file" ? new FileLease(where) : new RedisLease({ url: where, name: name ?? "test", prefix: "test" })
const elector = new LeaseElector({ backend, holder, log: pino({ level: "silent" }) })
elector.onElected((token) => console.log(`elected ${token}`))
elector.onDeposed((reason) => console.log(`deposed ${reason}`))
elector.start()
console.log("started")
// Asked twice a second, as the agent asks before acting: a paused holder's first answer after waking must be "no".
setInterval(() => console.log(`leader ${elector.isLeader}`), 500)
process.on("SIGTERM", () => void elector.stop().then(() => process.exit(0)))
