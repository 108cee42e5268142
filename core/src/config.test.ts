// loadConfig: the environment becomes a validated config, or one line naming the wrong variable.
import { describe, expect, test } from "bun:test"
import { ConfigError, loadConfig } from "./config.ts"

const refusal = (env: Record<string, string>): string => {
  try {
    loadConfig(env)
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError)
    return (e as Error).message
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`)
}

describe("loadConfig", () => {
  test("an empty environment gives the documented defaults", () => {
    expect(loadConfig({})).toMatchObject({
      PORT: 8080,
      HOST: "0.0.0.0",
      DATA_DIR: "./data",
      ACCESS_TOKEN_TTL_SECONDS: 900,
      LOG_LEVEL: "info",
      ADMIN_USERNAME: "admin",
    })
  })

  test("set values are read and typed; empty strings count as unset; unknown variables are ignored", () => {
    const config = loadConfig({
      PORT: "9090",
      DATABASE_URL: "postgresql://u:p@db:5432/streamspace",
      JWT_SECRET: "k".repeat(32),
      ACCESS_TOKEN_TTL_SECONDS: "60",
      LOG_LEVEL: "debug",
      ADMIN_USERNAME: "root.admin",
      PUBLIC_URL: "https://desk.example.com",
      HOST: "",
      PATH: "/usr/bin",
    })
    expect(config).toMatchObject({ PORT: 9090, ACCESS_TOKEN_TTL_SECONDS: 60, LOG_LEVEL: "debug", HOST: "0.0.0.0" })
    expect(config.DATABASE_URL).toBe("postgresql://u:p@db:5432/streamspace")
    expect(config).not.toHaveProperty("PATH")
  })

  test("a bad value is refused in one line that names the variable and shows the value", () => {
    for (const port of ["abc", "70000", "-1", "80.5", "8080 "]) {
      const message = refusal({ PORT: port })
      expect(message).toStartWith("Invalid configuration: PORT ")
      expect(message).toContain(JSON.stringify(port))
      expect(message).not.toContain("\n")
    }
  })

  test("every variable with a rule is checked", () => {
    const bad: Record<string, string> = {
      LOG_LEVEL: "loud",
      ACCESS_TOKEN_TTL_SECONDS: "5",
      ADMIN_USERNAME: "Admin!",
      PUBLIC_URL: "ftp://example.com",
      DATABASE_URL: "mysql://localhost/db",
      JWT_SECRET: "short",
    }
    for (const [key, value] of Object.entries(bad))
      expect(refusal({ [key]: value })).toStartWith(`Invalid configuration: ${key} `)
  })

  test("PLUGIN_SECRETS_KEY must be 32 bytes in hex or base64; its value is never echoed", () => {
    expect(loadConfig({ PLUGIN_SECRETS_KEY: "a".repeat(64) }).PLUGIN_SECRETS_KEY).toBe("a".repeat(64))
    expect(loadConfig({ PLUGIN_SECRETS_KEY: `${"A".repeat(43)}=` }).PLUGIN_SECRETS_KEY).toBe(`${"A".repeat(43)}=`)
    for (const bad of ["hunter2hunter2", "a".repeat(63), `${"A".repeat(44)}=`]) {
      const message = refusal({ PLUGIN_SECRETS_KEY: bad })
      expect(message).toStartWith("Invalid configuration: PLUGIN_SECRETS_KEY ")
      expect(message).toContain("value not shown")
      expect(message).not.toContain(bad)
    }
  })

  test("several replicas (REDIS_URL) need one PLUGIN_SECRETS_KEY: a generated key file is one replica's", () => {
    expect(refusal({ REDIS_URL: "redis://r:6379" })).toStartWith(
      "Invalid configuration: PLUGIN_SECRETS_KEY is required with REDIS_URL",
    )
    expect(loadConfig({ REDIS_URL: "redis://r:6379", PLUGIN_SECRETS_KEY: "a".repeat(64) }).REDIS_URL).toBe("redis://r:6379")
  })

  test("the hint says what is expected", () => {
    expect(refusal({ LOG_LEVEL: "loud" })).toContain("fatal | error | warn | info | debug | trace | silent")
  })

  test("secrets are never echoed: not the key, not a database URL's password", () => {
    const key = refusal({ JWT_SECRET: "hunter2-too-short" })
    expect(key).not.toContain("hunter2")
    expect(key).toContain("value not shown")
    expect(refusal({ DATABASE_URL: "mysql://app:s3cret@db/x" })).not.toContain("s3cret")
  })
})
