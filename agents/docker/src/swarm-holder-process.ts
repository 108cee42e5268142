// A child process for swarm lease tests: one LeaseElector on a SwarmLease, each change printed as a line.
// Usage: bun swarm-holder-process.ts <holder> <docker socket> <lease name>
import { LeaseElector } from "@streamspace/agent-runtime"
import Docker from "dockerode"
import pino from "pino"
import { SwarmLease } from "./swarm-lease.ts"

const [holder, socket, name] = process.argv.slice(2)
if (!holder || !socket || !name) {
  console.error("usage: swarm-holder-process.ts <holder> <docker socket> <lease name>")
  process.exit(2)
}
const backend = new SwarmLease(new Docker({ socketPath: socket, version: "v1.41" }), name)
const elector = new LeaseElector({ backend, holder, log: pino({ level: "silent" }) })
elector.onElected((token) => console.log(`elected ${token}`))
elector.onDeposed((reason) => console.log(`deposed ${reason}`))
elector.start()
console.log("started")
setInterval(() => console.log(`leader ${elector.isLeader}`), 500)
