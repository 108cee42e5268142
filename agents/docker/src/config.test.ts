import { describe, expect, test } from "bun:test"
import { mkdtempSync, statSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { EnvConfigError } from "@streamspace/schemas"
import { loadAgentSettings, readOrCreateSecret, SecretFileError } from "./config.ts"

const env = { STREAMSPACE_URLS: "http://a:8080, https://b", STREAMSPACE_AGENT_TOKEN: "ssa_abc" }

describe("Docker agent configuration", () => {
  test("URLs are split, defaults filled", () => {
    const s = loadAgentSettings({ ...env, AGENT_MAX_SESSIONS: "7", AGENT_INSTANCE_ID: "host-1" })
    expect(s).toMatchObject({
      urls: ["http://a:8080", "https://b"],
      name: "docker",
      cluster: "default",
      maxSessions: 7,
      instanceId: "host-1",
    })
  })

  test("a bad value stops start-up with one line naming the variable, and never echoes the token", () => {
    expect(() => loadAgentSettings({ ...env, AGENT_MAX_SESSIONS: "lots" })).toThrow(/^Invalid configuration: AGENT_MAX_SESSIONS /)
    expect(() => loadAgentSettings({ ...env, STREAMSPACE_URLS: "ftp://x" })).toThrow(/STREAMSPACE_URLS .*\(got "ftp:\/\/x"\)/)
    try {
      loadAgentSettings({ ...env, STREAMSPACE_AGENT_TOKEN: "hunter2-secret" })
      throw new Error("accepted a bad token")
    } catch (e) {
      expect(e).toBeInstanceOf(EnvConfigError)
      expect((e as Error).message).toContain("STREAMSPACE_AGENT_TOKEN")
      expect((e as Error).message).not.toContain("hunter2")
    }
  })

  test("the secret file is made once, readable by its owner only, and reused", () => {
    const path = join(mkdtempSync(join(tmpdir(), "agent-secret-")), "nested", "secret")
    const first = readOrCreateSecret(path)
    expect(first.length).toBeGreaterThanOrEqual(32)
    expect(statSync(path).mode & 0o777).toBe(0o600)
    expect(readOrCreateSecret(path)).toBe(first)
    writeFileSync(path, "short\n")
    expect(() => readOrCreateSecret(path)).toThrow(SecretFileError)
  })

  test("leader election: none by default; file and redis need their shared place; timings are checked", () => {
    expect(loadAgentSettings(env).election).toEqual({ kind: "none" })
    const file = loadAgentSettings({ ...env, LEADER_ELECTION: "file", LEADER_LOCK_PATH: "/run/ss/leader" }, 42)
    expect(file.election).toEqual({
      kind: "file",
      path: "/run/ss/leader",
      timings: { leaseMs: 3_000, renewMs: 1_000, retryMs: 500 },
    })
    expect(file.instanceId).toEndWith("-42")
    const redis = loadAgentSettings({
      ...env,
      LEADER_ELECTION: "redis",
      REDIS_URL: "redis://:pw@r:6379",
      LEADER_LEASE_MS: "2000",
      LEADER_RENEW_MS: "500",
      LEADER_RETRY_MS: "200",
    })
    expect(redis.election).toEqual({
      kind: "redis",
      url: "redis://:pw@r:6379",
      timings: { leaseMs: 2_000, renewMs: 500, retryMs: 200 },
    })
    expect(() => loadAgentSettings({ ...env, LEADER_ELECTION: "file" })).toThrow(/LEADER_LOCK_PATH/)
    expect(() => loadAgentSettings({ ...env, LEADER_ELECTION: "redis" })).toThrow(/REDIS_URL/)
    expect(loadAgentSettings({ ...env, LEADER_ELECTION: "swarm" }).election.kind).toBe("swarm")
    expect(() => loadAgentSettings({ ...env, LEADER_ELECTION: "zookeeper" })).toThrow(/^Invalid configuration: LEADER_ELECTION /)
    expect(() => loadAgentSettings({ ...env, LEADER_ELECTION: "file", LEADER_LOCK_PATH: "/x", LEADER_RENEW_MS: "5000" })).toThrow(
      /LEADER_RENEW_MS \(5000\) must be below LEADER_LEASE_MS/,
    )
    try {
      loadAgentSettings({ ...env, LEADER_ELECTION: "redis", REDIS_URL: "http://:hunter2@x" })
      throw new Error("accepted a bad Redis URL")
    } catch (e) {
      expect((e as Error).message).toContain("REDIS_URL")
      expect((e as Error).message).not.toContain("hunter2")
    }
  })
})
