// Failover of the control plane with real processes: 3 replicas behind HAProxy, PostgreSQL, a private Redis, a real Docker agent and desktops.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { ensureDesktopImage } from "../../images/desktop-image.ts"
import postgres from "postgres"
import { RfbClient } from "../../agents/runtime/src/vnc/rfb-client.ts"
import { eventually } from "../../core/src/testing/eventually.ts"
import { type HaStack, startHaStack } from "./ha-stack.ts"

let stack: HaStack
let sql: ReturnType<typeof postgres>
const running: string[] = []

const TABLES = ["users", "api_keys", "agents", "templates", "sessions", "agent_commands", "audit_events", "settings"]

/** Row counts and every session's state: what must survive a failure. */
async function snapshot() {
  const counts: Record<string, number> = {}
  for (const t of TABLES) counts[t] = Number((await sql.unsafe(`select count(*)::int as n from ${t}`))[0]?.n)
  const states = Object.fromEntries((await sql`select id, state from sessions`).map((r) => [r.id as string, r.state as string]))
  return { counts, states }
}

async function containerRunning(sessionId: string): Promise<boolean> {
  const p = Bun.spawn(["docker", "ps", "-q", "--filter", `label=streamspace.session=${sessionId}`], { stdout: "pipe" })
  return (await new Response(p.stdout).text()).trim().length > 0
}

async function viewerGetsFrames(url: string): Promise<void> {
  const viewer = await RfbClient.webSocket(url)
  try {
    expect((await viewer.update(false)).rects).toBeGreaterThan(0)
  } finally {
    viewer.close()
  }
}

async function launchRunning(): Promise<string> {
  const s = await stack.launch()
  await eventually(async () => expect((await stack.session(s.id)).state).toBe("running"), 60_000, 100)
  return s.id
}

beforeAll(async () => {
  await ensureDesktopImage()
  stack = await startHaStack({ replicas: 3, agents: 1 })
  sql = postgres(stack.databaseUrl, { max: 1, onnotice: () => {} })
  await eventually(async () => expect(await stack.agentsOnline()).toBe(true), 30_000, 100)
  for (let i = 0; i < 2; i++) running.push(await launchRunning())
})
afterAll(async () => {
  await sql?.end({ timeout: 1 })
  await stack?.close()
})

describe("control-plane failover (real processes, HAProxy, Redis, Docker)", () => {
  test("a viewer on any replica reaches the desktop, whichever replica holds the agent", async () => {
    for (const r of stack.ha.replicas) await viewerGetsFrames(await stack.viewerUrl(running[0] as string, r.url))
  })

  test("the replicas' internal stream route is not reachable through the balancer, only at a replica's own address", async () => {
    const path = `/internal/v1/streams/${running[0]}?window=65536`
    const upgrade = {
      connection: "Upgrade",
      upgrade: "websocket",
      "sec-websocket-version": "13",
      "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
    }
    const viaBalancer = await fetch(`${stack.ha.url}${path}`, { headers: upgrade })
    expect(viaBalancer.status).toBe(404)
    // At the replica itself the route exists and refuses an unsigned caller.
    const direct = await fetch(`${stack.ha.replicas[0]?.url}${path}`, { headers: upgrade })
    expect(direct.status).toBe(401)
  })

  test("SIGKILL of the replica holding the agent, under API traffic: the agent is back within seconds, nothing is lost", async () => {
    const agent = stack.agents[0]
    const holder = (await stack.holders()).get(agent?.id as string)
    expect(holder).toBeNumber()
    const before = await snapshot()

    let traffic = true
    const statuses: number[] = []
    const load = (async () => {
      while (traffic) {
        const res = await fetch(`${stack.ha.url}/api/v1/sessions`, { headers: { authorization: `Bearer ${stack.apiKey}` } })
          .then((r) => r.status)
          .catch(() => 0)
        statuses.push(res)
        await Bun.sleep(20)
      }
    })()

    const killedAt = performance.now()
    await stack.ha.kill(holder as number, "SIGKILL")
    await eventually(
      async () => {
        const now = (await stack.holders()).get(agent?.id as string)
        expect(now).toBeNumber()
        expect(now).not.toBe(holder)
      },
      20_000,
      25,
    )
    const reRegisteredMs = performance.now() - killedAt
    const third = await launchRunning()
    running.push(third)
    traffic = false
    await load

    // Reported for the record; the benchmark measures it properly (bench:failover).
    console.log(`agent registered again after ${Math.round(reRegisteredMs)} ms`)
    expect(reRegisteredMs).toBeLessThan(10_000)
    for (const id of running) {
      expect((await stack.session(id)).state).toBe("running")
      expect(await containerRunning(id)).toBe(true)
    }
    const after = await snapshot()
    for (const t of TABLES) expect(after.counts[t]).toBeGreaterThanOrEqual(before.counts[t] as number)
    for (const [id, state] of Object.entries(before.states)) expect(after.states[id]).toBe(state)
    // The balancer stopped sending to the dead replica: the last requests all succeeded.
    expect(statuses.slice(-10).every((s) => s === 200)).toBe(true)
    for (const r of stack.ha.replicas.filter((x) => x.process))
      await viewerGetsFrames(await stack.viewerUrl(running[0] as string, r.url))

    await stack.ha.start(holder as number)
  })

  test("the replica holding the agent dies mid-command: the persisted command completes through another replica", async () => {
    const agent = stack.agents[0]
    const s = await stack.launch()
    // The start is on its way to (or running on) the agent when its replica dies.
    await eventually(async () => expect((await stack.session(s.id)).state).toBe("starting"), 30_000, 10)
    const holder = (await stack.holders()).get(agent?.id as string)
    await stack.ha.kill(holder as number, "SIGKILL")
    await eventually(async () => expect((await stack.session(s.id)).state).toBe("running"), 60_000, 100)
    running.push(s.id)
    const command = (
      await sql`select state, attempts from agent_commands where session_id = ${s.id} and action = 'session.start'`
    )[0]
    expect(command?.state).toBe("succeeded")
    expect(await containerRunning(s.id)).toBe(true)
    await stack.ha.start(holder as number)
  })

  test("Redis restarts empty: the replicas publish their agents again, commands and viewers work, nothing is lost", async () => {
    const agent = stack.agents[0]
    const before = await snapshot()
    await stack.redis.stop("SIGKILL")
    await stack.redis.start()
    // Nothing in Redis survived; the replica holding the agent wrote it back once it reconnected.
    await eventually(async () => expect((await stack.holders()).get(agent?.id as string)).toBeNumber(), 20_000, 50)
    running.push(await launchRunning())
    for (const id of running) expect((await stack.session(id)).state).toBe("running")
    for (const r of stack.ha.replicas) await viewerGetsFrames(await stack.viewerUrl(running[0] as string, r.url))
    const after = await snapshot()
    for (const t of TABLES) expect(after.counts[t]).toBeGreaterThanOrEqual(before.counts[t] as number)
    for (const [id, state] of Object.entries(before.states)) expect(after.states[id]).toBe(state)
  })

  test("the event dispatcher moves: SIGKILL of the replica holding its advisory lock, and another replica dispatches new events", async () => {
    const DISPATCHER_LOCK = 7_281_105
    const holder = async () =>
      (
        await sql`select a.pid, a.client_port from pg_locks l join pg_stat_activity a on a.pid = l.pid
          where l.locktype = 'advisory' and l.objid = ${DISPATCHER_LOCK} and l.granted`
      )[0] as { pid: number; client_port: number } | undefined
    // Which replica owns the lock's connection: the process on the other end of that TCP port. Looked up
    // again if the connection changed between the two reads (a replica re-taking the lock after a blip).
    const { before, index } = await eventually(async () => {
      const h = await holder()
      expect(h?.client_port).toBeNumber()
      const ss = Bun.spawn(["ss", "-tnpH", `sport = :${h?.client_port}`], { stdout: "pipe" })
      const owner = Number(/pid=(\d+)/.exec(await new Response(ss.stdout).text())?.[1])
      const at = stack.ha.replicas.findIndex((r) => r.process?.proc.pid === owner)
      expect(at).toBeGreaterThanOrEqual(0)
      return { before: h as { pid: number; client_port: number }, index: at }
    }, 20_000)

    await stack.ha.kill(index, "SIGKILL")
    running.push(await launchRunning())
    await eventually(
      async () => expect(Number((await sql`select count(*)::int as n from outbox where dispatched_at is null`)[0]?.n)).toBe(0),
      20_000,
      100,
    )
    const after = await holder()
    expect(after?.pid).toBeNumber()
    expect(after?.pid).not.toBe(before.pid)
    await stack.ha.start(index)
  })
})
