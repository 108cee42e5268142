import { expect, test } from "bun:test"
import { InMemoryHostApi } from "./in-memory-host.ts"
import { PluginSupervisor } from "./supervisor.ts"
import { ALLOW_ALL, beforeCreateInput, install } from "./test-fixtures.ts"
import { NodeIpcTransport, type PluginTransport, type TransportChannel, type TransportHandlers } from "./transport.ts"

/** The real Node transport, except that the first `failures` starts use a Node binary that is not there. */
class MissingNodeAtFirstTransport implements PluginTransport {
  attempts = 0
  constructor(private failures: number) {}
  open(handlers: TransportHandlers): Promise<TransportChannel> {
    this.attempts++
    const node = this.failures-- > 0 ? "/nonexistent/node" : "node"
    return new NodeIpcTransport({ node }).open(handlers)
  }
}

test("when Node cannot start, start() says so, hooks answer by fail mode, and the supervisor keeps trying until it can", async () => {
  const transport = new MissingNodeAtFirstTransport(2)
  const supervisor = new PluginSupervisor({
    host: new InMemoryHostApi(),
    transport,
    restartBackoff: { initialMs: 50, maxMs: 100 },
    limits: { loadTimeoutMs: 50 },
  })
  try {
    await expect(supervisor.start()).rejects.toThrow()
    const status = await supervisor.install(install("a", ALLOW_ALL))
    expect(status.state).toBe("loading")
    const early = await supervisor.callHook("session.beforeCreate", "a", beforeCreateInput())
    expect(early).toMatchObject({ decidedBy: "fail-closed", output: { allow: false } })

    const until = Date.now() + 30_000
    while (supervisor.status("a")?.state !== "running" && Date.now() < until) await Bun.sleep(20)
    expect(transport.attempts).toBe(3)
    expect((await supervisor.callHook("session.beforeCreate", "a", beforeCreateInput())).output).toEqual({ allow: true })
  } finally {
    await supervisor.stop()
  }
})
