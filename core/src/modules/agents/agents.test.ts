// Agent registration through the real app: the token shown once and stored hashed, rotation, revocation.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { createHash } from "node:crypto"
import { startTestCore, type TestCore, type TestUser } from "../../testing/test-core.ts"
import { authenticateAgent } from "./service.ts"

let core: TestCore
let admin: TestUser

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex")
const post = (who: TestUser, path: string, body?: unknown) =>
  who.fetch(path, {
    method: "POST",
    ...(body === undefined ? {} : { headers: { "content-type": "application/json" }, body: JSON.stringify(body) }),
  })

beforeAll(async () => {
  core = await startTestCore()
  admin = await core.admin()
})
afterAll(() => core.close())

describe("agents", () => {
  test("an admin registers an agent: its token appears once and only its hash is stored", async () => {
    const { data, status } = await admin.api.agents.post({ name: "docker-one", platform: "docker" })
    expect(status).toBe(201)
    expect(data).toMatchObject({ name: "docker-one", platform: "docker", cluster: "default", status: "offline" })
    const token = data?.token as string
    expect(token).toStartWith("ssa_")
    const [row] = await core.db.sql`select token_hash from agents where id = ${data?.id as string}`
    expect(row?.tokenHash).toBe(sha256(token))
    expect(JSON.stringify(await core.db.sql`select * from agents`)).not.toContain(token)

    const listed = await (await admin.fetch("/api/v1/agents")).text()
    expect(listed).not.toContain(token)
    expect(listed).not.toContain("tokenHash")
    const one = await admin.fetch(`/api/v1/agents/${data?.id}`)
    expect(await one.json()).not.toHaveProperty("token")
    expect((await authenticateAgent(core.deps, token))?.id).toBe(data?.id as string)
  })

  test("agents are listed by name with their cluster", async () => {
    await admin.api.agents.post({ name: "zz-kube", platform: "kubernetes", cluster: "eu-west" })
    await admin.api.agents.post({ name: "aa-docker", platform: "docker" })
    const { data } = await admin.api.agents.get()
    const names = data?.map((a) => a.name) ?? []
    expect(names).toEqual([...names].sort())
    expect(data?.find((a) => a.name === "zz-kube")).toMatchObject({ platform: "kubernetes", cluster: "eu-west" })
  })

  test("rotating the token replaces it at once", async () => {
    const { data: agent } = await admin.api.agents.post({ name: "rotating", platform: "docker" })
    const old = agent?.token as string
    const res = await post(admin, `/api/v1/agents/${agent?.id}/rotate-token`)
    expect(res.status).toBe(200)
    const rotated = await res.json()
    expect(rotated.token).not.toBe(old)
    expect(Date.parse(rotated.tokenRotatedAt)).toBeGreaterThanOrEqual(Date.parse(agent?.tokenRotatedAt as string))
    expect(await authenticateAgent(core.deps, old)).toBeNull()
    expect((await authenticateAgent(core.deps, rotated.token))?.id).toBe(agent?.id as string)
  })

  test("a revoked agent is refused, and cannot be given a new token", async () => {
    const { data: agent } = await admin.api.agents.post({ name: "revoked-one", platform: "docker" })
    const res = await post(admin, `/api/v1/agents/${agent?.id}/revoke`)
    expect(res.status).toBe(200)
    expect((await res.json()).status).toBe("revoked")
    expect(await authenticateAgent(core.deps, agent?.token as string)).toBeNull()
    const rotate = await post(admin, `/api/v1/agents/${agent?.id}/rotate-token`)
    expect(rotate.status).toBe(409)
    expect((await rotate.json()).code).toBe("AGENT_REVOKED")
  })

  test("the hub is told to drop the agent's connections on rotate and revoke (recording fake hub)", async () => {
    // No hub runs in this core; a recording stand-in shows the registry asks for the disconnect.
    const dropped: string[] = []
    core.deps.agentConnections = { disconnect: (agentId) => void dropped.push(agentId) }
    try {
      const { data: agent } = await admin.api.agents.post({ name: "connected-one", platform: "docker" })
      await post(admin, `/api/v1/agents/${agent?.id}/rotate-token`)
      await post(admin, `/api/v1/agents/${agent?.id}/revoke`)
      expect(dropped).toEqual([agent?.id as string, agent?.id as string])
    } finally {
      delete core.deps.agentConnections
    }
  })

  test("a name is registered once", async () => {
    await admin.api.agents.post({ name: "only-once", platform: "docker" })
    const res = await post(admin, "/api/v1/agents", { name: "only-once", platform: "kubernetes" })
    expect(res.status).toBe(409)
    expect((await res.json()).code).toBe("AGENT_NAME_TAKEN")
  })

  test("unknown agents answer 404", async () => {
    const id = crypto.randomUUID()
    expect((await admin.fetch(`/api/v1/agents/${id}`)).status).toBe(404)
    expect((await post(admin, `/api/v1/agents/${id}/rotate-token`)).status).toBe(404)
    expect((await post(admin, `/api/v1/agents/${id}/revoke`)).status).toBe(404)
  })

  test("invalid registrations name the field", async () => {
    const cases: [unknown, string][] = [
      [{ name: "Bad_Name", platform: "docker" }, "/name"],
      [{ name: "ok-name", platform: "podman" }, "/platform"],
      [{ platform: "docker" }, "/name"],
      [{ name: "ok-name", platform: "docker", cluster: "" }, "/cluster"],
    ]
    for (const [body, field] of cases) {
      const res = await post(admin, "/api/v1/agents", body)
      expect(res.status).toBe(422)
      expect((await res.json()).errors.map((e: { field: string }) => e.field)).toContain(field)
    }
  })

  test("operators see agents but cannot register, rotate or revoke them; users see nothing", async () => {
    const { data: agent } = await admin.api.agents.post({ name: "guarded", platform: "docker" })
    const op = await core.user("agent-operator", "operator")
    expect((await op.fetch("/api/v1/agents")).status).toBe(200)
    expect((await op.fetch(`/api/v1/agents/${agent?.id}`)).status).toBe(200)
    expect((await post(op, "/api/v1/agents", { name: "by-op", platform: "docker" })).status).toBe(403)
    expect((await post(op, `/api/v1/agents/${agent?.id}/rotate-token`)).status).toBe(403)
    expect((await post(op, `/api/v1/agents/${agent?.id}/revoke`)).status).toBe(403)
    const user = await core.user("agent-user")
    expect((await user.fetch("/api/v1/agents")).status).toBe(403)
    expect(await authenticateAgent(core.deps, agent?.token as string)).not.toBeNull()
  })
})
