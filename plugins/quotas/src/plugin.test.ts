// The quotas policy in the real runtime (Node + isolated-vm), built like a marketplace bundle, against the SDK's in-memory host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { join } from "node:path"
import type { PluginManifest, Session, User } from "@streamspace/schemas"
import { type PluginHarness, startPluginHarness } from "@streamspace/sdk/plugin/testing"
import manifestJson from "../manifest.json"
import type { QuotaConfig } from "./limits.ts"

const manifest = manifestJson as PluginManifest

const user = (n: number, username: string, role: User["role"] = "user"): User => ({
  id: `0b7c2a8e-4f51-4d3a-9c8e-${String(n).padStart(12, "0")}`,
  username,
  email: null,
  displayName: username,
  role,
  disabled: false,
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  lastSignInAt: null,
})

let sessionSeq = 0
const session = (owner: User, cpu: number, memory: number, state: Session["state"] = "running"): Session => ({
  id: `5e0d7a1c-1111-4a2b-8c3d-${String(++sessionSeq).padStart(12, "0")}`,
  userId: owner.id,
  templateId: "9f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9",
  templateName: "xterm",
  state,
  reason: null,
  agentId: null,
  resources: { cpu, memory },
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z",
  startedAt: null,
  stoppedAt: null,
  lastActivityAt: null,
})

const ann = user(1, "ann")
const bob = user(2, "bob")
const olga = user(3, "olga", "operator")
const vip = user(4, "vip")
const ida = user(5, "ida")

const config: QuotaConfig = {
  defaults: { sessions: 2, cpu: 2, memory: 4096 },
  roles: { operator: { sessions: 5, cpu: null } },
  users: { vip: { sessions: 3 }, [ida.id]: { memory: 1024 } },
}

let plugin: PluginHarness
beforeAll(async () => {
  plugin = await startPluginHarness({
    manifest,
    entry: join(import.meta.dir, "plugin.ts"),
    config,
    data: {
      users: [ann, bob, olga, vip, ida],
      sessions: [
        session(ann, 0.5, 512),
        session(ann, 0.5, 512, "pending"),
        session(ann, 1, 512, "stopped"),
        session(bob, 1.5, 512),
        session(olga, 4, 1024),
        session(olga, 4, 1024),
        session(vip, 0.5, 256),
        session(vip, 0.5, 256),
        session(ida, 0.25, 768),
      ],
    },
  })
  expect(plugin.status().state).toBe("running")
})
afterAll(() => plugin.stop())

const launch = async (who: User, cpu = 0.5, memory = 512) => {
  const outcome = await plugin.hook("session.beforeCreate", {
    user: { id: who.id, username: who.username, role: who.role },
    request: { templateId: "9f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9", templateName: "xterm", resources: { cpu, memory } },
  })
  expect(outcome.decidedBy).toBe("plugin")
  return outcome.output
}

describe("quotas", () => {
  test("a user at the default session limit is refused with the limit and the usage named", async () => {
    expect(await launch(ann)).toEqual({
      allow: false,
      code: "QUOTA_EXCEEDED",
      reason: "You already use 2 of 2 running sessions. Stop a session and try again.",
    })
  })

  test("CPU is summed over active sessions and the refusal names cores asked, used and allowed", async () => {
    expect(await launch(bob, 0.25)).toEqual({ allow: true })
    expect((await launch(bob, 1)).reason).toBe(
      "This session needs 1 CPU cores and you already use 1.5 of 2. Stop a session and try again.",
    )
  })

  test("a role's limits replace the defaults, and null lifts a limit", async () => {
    expect(await launch(olga, 8, 1024)).toEqual({ allow: true }) // 16 cores would pass the default 2
    expect((await launch(olga, 1, 4096)).reason).toBe(
      "This session needs 4096 MiB of memory and you already use 2048 of 4096 MiB. Stop a session and try again.",
    )
  })

  test("a per-user entry, by username or by id, overrides only the limits it names", async () => {
    expect(await launch(vip)).toEqual({ allow: true }) // third session, allowed for vip
    expect((await launch(ida, 0.25, 512)).reason).toBe(
      "This session needs 512 MiB of memory and you already use 768 of 1024 MiB. Stop a session and try again.",
    )
    expect(await launch(ida, 0.25, 256)).toEqual({ allow: true })
  })
})
