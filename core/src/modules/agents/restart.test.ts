import { afterAll, beforeAll, expect, test } from "bun:test"
import type { Session, Template } from "@streamspace/schemas"
import { type ProcessControlPlane, processControlPlane } from "../../testing/core-process.ts"
import { eventually } from "../../testing/eventually.ts"
import { FakeAgent } from "../../testing/fake-agent.ts"

let cp: ProcessControlPlane
beforeAll(async () => {
  cp = await processControlPlane({ AGENT_HEARTBEAT_INTERVAL_MS: "300", AGENT_COMMAND_TIMEOUT_MS: "30000" })
})
afterAll(() => cp.close())

test("a control plane killed mid-command keeps the command: after restart the agent gets it again and the session runs", async () => {
  const { token } = await cp.call<{ token: string }>("/api/v1/agents", {
    method: "POST",
    body: JSON.stringify({ name: "survivor", platform: "docker" }),
  })
  const agent = await FakeAgent.online(cp.core.url, token, { autoAck: true, autoHeartbeat: true })
  const catalog = await cp.call<{ items: Template[] }>("/api/v1/templates")
  const desktop = catalog.items.find((t) => t.name === "desktop") as Template
  const session = await cp.call<Session>("/api/v1/sessions", { method: "POST", body: JSON.stringify({ templateId: desktop.id }) })
  const start = await agent.next("command")
  expect(start.action).toBe("session.start")
  expect((await cp.call<Session>(`/api/v1/sessions/${session.id}`)).state).toBe("starting")

  // No graceful shutdown: the process dies with the command acknowledged and unanswered.
  expect(await cp.core.stop("SIGKILL")).not.toBe(0)
  await agent.closed

  await cp.start()
  const again = await FakeAgent.connect(cp.core.url, token, { autoAck: true, autoHeartbeat: true })
  const welcome = await again.sayHello()
  expect(welcome.sessions).toEqual([{ sessionId: session.id, state: "starting" }])
  const resent = await again.next("command")
  expect(resent.commandId).toBe(start.commandId)
  expect(resent.spec).toEqual(start.spec)
  again.send({ type: "command.result", commandId: resent.commandId, result: { sessionId: session.id, state: "running" } })
  await eventually(async () => expect((await cp.call<Session>(`/api/v1/sessions/${session.id}`)).state).toBe("running"))
  await again.close()
  expect(await cp.core.stop("SIGTERM")).toBe(0)
})
