import { afterAll, describe, expect, test } from "bun:test"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fetchWithLimits, HostCallError } from "@streamspace/plugin-runtime/host"
import { AllowanceError, checkedAddress, guardedFetch, parseAllowance } from "./ssrf-guard.ts"

const NONE = parseAllowance([])
const LIMITS = { timeoutMs: 10_000, maxResponseBytes: 1024 * 1024 }

// A real receiver on loopback: the guard must keep plugins away from it unless an operator allows it.
const receiver = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch: (request) => {
    const url = new URL(request.url)
    if (url.pathname === "/redirect") return new Response(null, { status: 302, headers: { location: "http://169.254.169.254/" } })
    return Response.json({ host: request.headers.get("host"), path: url.pathname })
  },
})
afterAll(() => receiver.stop(true))
const local = `http://127.0.0.1:${receiver.port}`

const refusal = async (run: () => Promise<unknown>): Promise<{ code: string; message: string }> => {
  try {
    await run()
  } catch (error) {
    if (error instanceof HostCallError) return { code: error.code, message: error.message }
    throw error
  }
  throw new Error("the request was not refused")
}

describe("SSRF guard on plugins' http.fetch", () => {
  test("loopback, private, link-local, CGNAT, unspecified, ULA and IPv4-mapped addresses are refused", async () => {
    const urls = [
      "http://127.0.0.1/",
      "http://127.8.9.10/",
      "http://10.1.2.3/",
      "http://172.16.0.1/",
      "http://192.168.1.1/",
      "http://100.64.0.1/",
      "http://169.254.169.254/latest/meta-data/",
      "http://0.0.0.0/",
      "http://[::]/",
      "http://[::1]/",
      "http://[fd00::1]/",
      "http://[fe80::1]/",
      "http://[::ffff:127.0.0.1]/",
      "http://[::ffff:169.254.169.254]/",
      "http://224.0.0.1/",
    ]
    for (const url of urls) {
      const { code } = await refusal(() => checkedAddress(new URL(url), NONE))
      expect(`${url} ${code}`).toBe(`${url} HOST_PERMISSION_DENIED`)
    }
  })

  test("a public address passes", async () => {
    expect(await checkedAddress(new URL("https://93.184.216.34/hook"), NONE)).toBe("93.184.216.34")
    expect(await checkedAddress(new URL("https://[2606:4700::1111]/hook"), NONE)).toBe("2606:4700::1111")
  })

  test("names are judged by what they resolve to: localhost through the system resolver is refused", async () => {
    const { code, message } = await refusal(() => checkedAddress(new URL("http://localhost:9/"), NONE))
    expect(code).toBe("HOST_PERMISSION_DENIED")
    expect(message).toContain("PLUGIN_HTTP_ALLOW_PRIVATE")
  })

  test("a name with one public and one private address is refused (fake DNS)", async () => {
    const resolve = async () => ["93.184.216.34", "10.0.0.5"]
    expect((await refusal(() => checkedAddress(new URL("https://mixed.example/"), NONE, resolve))).code).toBe(
      "HOST_PERMISSION_DENIED",
    )
  })

  test("a real fetch to a loopback receiver is refused without the operator's allowance", async () => {
    const { code } = await refusal(() => fetchWithLimits(`${local}/x`, {}, LIMITS, guardedFetch(NONE)))
    expect(code).toBe("HOST_PERMISSION_DENIED")
  })

  test("an allowed CIDR reaches the loopback receiver", async () => {
    const response = await fetchWithLimits(`${local}/x`, {}, LIMITS, guardedFetch(parseAllowance(["127.0.0.0/8"])))
    expect(response.status).toBe(200)
    expect(JSON.parse(response.body)).toEqual({ host: `127.0.0.1:${receiver.port}`, path: "/x" })
  })

  test("the connection goes to the address that was checked, with the original Host (fake DNS)", async () => {
    let lookups = 0
    const resolve = async (name: string) => {
      lookups++
      return name === "hooks.internal" ? ["127.0.0.1"] : []
    }
    const connect = guardedFetch(parseAllowance(["hooks.internal"]), resolve)
    const response = await fetchWithLimits(`http://hooks.internal:${receiver.port}/pinned`, {}, LIMITS, connect)
    expect(JSON.parse(response.body)).toEqual({ host: `hooks.internal:${receiver.port}`, path: "/pinned" })
    expect(lookups).toBe(1)
  })

  test("https to a pinned address still verifies the certificate against the host name (fake DNS)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ssrf-tls-"))
    const made = Bun.spawnSync(
      ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=hooks.test"].concat([
        "-addext",
        "subjectAltName=DNS:hooks.test",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ]),
      { stderr: "pipe" },
    )
    expect(made.exitCode).toBe(0)
    const cert = await Bun.file(join(dir, "cert.pem")).text()
    const tlsServer = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      tls: { cert, key: await Bun.file(join(dir, "key.pem")).text() },
      fetch: (request) => new Response(request.headers.get("host")),
    })
    try {
      const resolveTo = (name: string) => async (asked: string) => (asked === name ? ["127.0.0.1"] : [])
      // Trusting the test's own CA stands in for the system store; the name check is the one under test.
      const init = { tls: { ca: cert } } as RequestInit
      const right = guardedFetch(parseAllowance(["hooks.test"]), resolveTo("hooks.test"))
      const response = await right(`https://hooks.test:${tlsServer.port}/`, init)
      expect(await response.text()).toBe(`hooks.test:${tlsServer.port}`)
      const wrong = guardedFetch(parseAllowance(["other.test"]), resolveTo("other.test"))
      await expect(wrong(`https://other.test:${tlsServer.port}/`, init)).rejects.toThrow(/ALTNAME|certificate/i)
    } finally {
      tlsServer.stop(true)
      rmSync(dir, { recursive: true, force: true })
    }
  })

  test("a redirect to the metadata address is handed back, never followed", async () => {
    const connect = guardedFetch(parseAllowance(["127.0.0.1"]))
    const response = await fetchWithLimits(`${local}/redirect`, {}, LIMITS, connect)
    expect(response.status).toBe(302)
    expect(response.headers.location).toBe("http://169.254.169.254/")
  })

  test("a plugin may shorten the operator's timeout but not lengthen it", async () => {
    const slow = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Promise<Response>(() => {}) })
    try {
      const connect = guardedFetch(parseAllowance(["127.0.0.1"]))
      const { code, message } = await refusal(() =>
        fetchWithLimits(`http://127.0.0.1:${slow.port}/`, { timeoutMs: 200 }, LIMITS, connect),
      )
      expect(code).toBe("HOST_CALL_FAILED")
      expect(message).toContain("within 200 ms")
    } finally {
      slow.stop(true)
    }
  })

  test("the allowance accepts addresses, CIDRs and host names, and refuses anything else", () => {
    const allowance = parseAllowance(["10.0.0.0/8", " [::1] ", "Hooks.Internal"])
    expect([...allowance.hosts]).toEqual(["hooks.internal"])
    expect(allowance.ranges.map(([a, bits]) => `${a.toString()}/${bits}`)).toEqual(["10.0.0.0/8", "::1/128"])
    expect(() => parseAllowance(["10.0.0.0/99"])).toThrow(AllowanceError)
    expect(() => parseAllowance(["http://x"])).toThrow(AllowanceError)
  })
})
