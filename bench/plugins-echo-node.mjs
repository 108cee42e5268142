// Baseline for bench/plugins.ts: a Node child that echoes every IPC message back, with no isolate and no checks.
process.on("message", (message) => process.send(message))
process.on("disconnect", () => process.exit(0))
process.send({ type: "hello" })
