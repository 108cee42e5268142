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
})
