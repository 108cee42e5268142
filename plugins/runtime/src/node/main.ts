// Entry point of the plugin runtime process (Node 20 + isolated-vm), started by the core with an IPC channel.
import { RUNTIME_PROTOCOL_VERSION, type RuntimeToCore } from "@streamspace/schemas"
import { batchingSender } from "../shared/batching.ts"
import { Runtime } from "./runtime.ts"

const ENGINE = "isolated-vm@5.0.4"

if (typeof process.send !== "function") {
  process.stderr.write("The plugin runtime must be started by the control plane with an IPC channel.\n")
  process.exit(2)
}
const send = batchingSender<RuntimeToCore>((message) => {
  process.send?.(message)
})
const runtime = new Runtime(send)
process.on("message", (message) => runtime.handle(message))
// The core owns this process: when the channel closes, there is nobody left to answer.
process.on("disconnect", () => process.exit(0))
send({ type: "hello", protocol: RUNTIME_PROTOCOL_VERSION, pid: process.pid, node: process.version, engine: ENGINE })
