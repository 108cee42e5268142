import { afterAll, beforeAll, expect, test } from "bun:test"
import type { Session, Template } from "@streamspace/schemas"
import { createApp } from "../../app.ts"
import { createLogger } from "../../infra/log.ts"
import { type CoreProcess, startCoreProcess } from "../../testing/core-process.ts"
import { eventually } from "../../testing/eventually.ts"
import { FakeAgent } from "../../testing/fake-agent.ts"
import { databaseForProcess } from "../../testing/test-database.ts"
import { createApiKey } from "../api-keys/service.ts"
import { createUser } from "../users/service.ts"

let database: Awaited<ReturnType<typeof databaseForProcess>>
let apiKey: string
let running: CoreProcess | null = null
const env = () => ({ ...database.env, AGENT_HEARTBEAT_INTERVAL_MS: "300", AGENT_COMMAND_TIMEOUT_MS: "30000" })

beforeAll(async () => {
  database = await databaseForProcess()
  // An admin with an API key, made before the control plane runs (PGlite admits one process at a time).
  const db = await database.open()
  const { deps } = createApp({ db, log: createLogger("silent"), signingKey: "x".repeat(32), accessTokenTtlSeconds: 900 })
  const admin = await createUser(deps, { username: "restart-admin", role: "admin" })
  apiKey = (await createApiKey(deps, { id: admin.id, username: admin.username, role: "admin", via: "token" }, { name: "test" }))
    .secret
  await db.close()
})
afterAll(async () => {
  await running?.stop("SIGKILL")
  await database.remove()
})

const call = async <T>(core: CoreProcess, path: string, init: RequestInit = {}): Promise<T> => {
  const res = await fetch(`${core.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json", ...init.headers },
  })
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path} answered ${res.status}: ${await res.text()}`)
  return res.json() as Promise<T>
}

test("a control plane killed mid-command keeps the command: after restart the agent gets it again and the session runs", async () => {
  const first = await startCoreProcess(env())
  running = first
  const { token } = await call<{ token: string }>(first, "/api/v1/agents", {
    method: "POST",
    body: JSON.stringify({ name: "survivor", platform: "docker" }),
  })
  const agent = await FakeAgent.online(first.url, token, { autoAck: true, autoHeartbeat: true })
  const catalog = await call<{ items: Template[] }>(first, "/api/v1/templates")
  const desktop = catalog.items.find((t) => t.name === "desktop") as Template
  const session = await call<Session>(first, "/api/v1/sessions", {
    method: "POST",
    body: JSON.stringify({ templateId: desktop.id }),
  })
  const start = await agent.next("command")
  expect(start.action).toBe("session.start")
  expect((await call<Session>(first, `/api/v1/sessions/${session.id}`)).state).toBe("starting")

  // No graceful shutdown: the process dies with the command acknowledged and unanswered.
  expect(await first.stop("SIGKILL")).not.toBe(0)
  await agent.closed

  const second = await startCoreProcess(env())
  running = second
  const again = await FakeAgent.connect(second.url, token, { autoAck: true, autoHeartbeat: true })
  const welcome = await again.sayHello()
  expect(welcome.sessions).toEqual([{ sessionId: session.id, state: "starting" }])
  const resent = await again.next("command")
  expect(resent.commandId).toBe(start.commandId)
  expect(resent.spec).toEqual(start.spec)
  again.send({ type: "command.result", commandId: resent.commandId, result: { sessionId: session.id, state: "running" } })
  await eventually(async () => expect((await call<Session>(second, `/api/v1/sessions/${session.id}`)).state).toBe("running"))
  await again.close()
  expect(await second.stop("SIGTERM")).toBe(0)
  running = null
})
