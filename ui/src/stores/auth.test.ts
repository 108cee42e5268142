// The auth store's refresh logic against a fake control plane (a Node HTTP server answering the
// few routes involved): the browser side of refresh-on-401 cannot be staged on the real one without
// waiting out a token's lifetime.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { createPinia, setActivePinia } from "pinia"
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest"
import { call, setCredential } from "@/api/client.ts"
import { useAuthStore } from "./auth.ts"

const user = { id: "00000000-0000-4000-8000-000000000001", username: "ada", displayName: "Ada", email: null, role: "user" }
let server: Server
/** Access tokens the fake control plane accepts; a refresh issues a new one. */
let valid = new Set<string>()
let issued = 0
let refreshes = 0
let refreshAnswer = 200

const tokens = () => {
  const accessToken = `eyJ.access-${++issued}.sig`
  valid.add(accessToken)
  return {
    accessToken,
    tokenType: "Bearer",
    expiresIn: 900,
    refreshToken: `ssr_${issued}`,
    refreshExpiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    signInId: `sid-${issued}`,
    user,
  }
}

function answer(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { "content-type": status >= 400 ? "application/problem+json" : "application/json" })
  res.end(JSON.stringify(body))
}

function route(req: IncomingMessage, res: ServerResponse) {
  const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1]
  if (req.url === "/api/v1/auth/sign-in") return answer(res, 200, tokens())
  if (req.url === "/api/v1/auth/refresh") {
    refreshes++
    if (refreshAnswer !== 200)
      return answer(res, 401, { detail: "The refresh token was reused.", code: "REFRESH_REUSED", status: 401 })
    // Slow enough that callers waiting on 401s overlap.
    return setTimeout(() => answer(res, 200, tokens()), 50)
  }
  if (req.url === "/api/v1/me") {
    if (bearer && valid.has(bearer)) return answer(res, 200, user)
    return answer(res, 401, { detail: "The access token is invalid or expired.", code: "UNAUTHORIZED", status: 401 })
  }
  answer(res, 404, { detail: "not here", code: "NOT_FOUND", status: 404 })
}

beforeAll(async () => {
  server = createServer(route)
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  ;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${origin}/catalog`)
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  setActivePinia(createPinia())
  setCredential(null)
  valid = new Set()
  refreshes = 0
  refreshAnswer = 200
  localStorage.clear()
  sessionStorage.clear()
})

describe("a password sign-in's access token (fake control plane)", () => {
  test("a call answered 401 refreshes once and is tried again, unnoticed by the caller", async () => {
    const auth = useAuthStore()
    await auth.signInWithPassword({ username: "ada", password: "a long password" })
    expect(auth.credential?.kind).toBe("session")
    expect(localStorage.getItem("streamspace.signed-in")).toBe("cookie")
    valid.clear() // the token expired early (a laptop that slept past its refresh)

    const [a, b] = await Promise.all([call((api) => api.me.get()), call((api) => api.me.get())])
    expect(a.username).toBe("ada")
    expect(b.username).toBe("ada")
    // Two calls hit the 401 together; one refresh served both.
    expect(refreshes).toBe(1)
    expect(auth.signedIn).toBe(true)
  })

  test("a refused refresh signs out with a reason, and the browser stops expecting a cookie", async () => {
    const auth = useAuthStore()
    await auth.signInWithPassword({ username: "ada", password: "a long password" })
    valid.clear()
    refreshAnswer = 401
    await expect(call((api) => api.me.get())).rejects.toMatchObject({ status: 401 })
    expect(auth.signedIn).toBe(false)
    expect(auth.notice).toContain("Your sign-in has ended")
    expect(localStorage.getItem("streamspace.signed-in")).toBeNull()
  })

  test("a reload resumes through the refresh cookie only when this browser signed in with one", async () => {
    const auth = useAuthStore()
    await auth.restore()
    expect(refreshes).toBe(0)
    expect(auth.signedIn).toBe(false)

    localStorage.setItem("streamspace.signed-in", "cookie")
    await auth.restore()
    expect(refreshes).toBe(1)
    expect(auth.user?.username).toBe("ada")
    // The access token stays in memory: nothing of it is written to storage.
    expect(JSON.stringify({ ...sessionStorage, ...localStorage })).not.toContain("eyJ")
  })
})
