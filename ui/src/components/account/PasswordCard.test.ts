// The Password card through its store and the API client, against a fake control plane that answers
// /api/v1/auth/password the way the real one does (problem+json naming the field). ui/e2e/auth.test.ts
// runs the same card against the real control plane.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import type { AuthStatus } from "@streamspace/schemas"
import { flushPromises } from "@vue/test-utils"
import { createPinia, setActivePinia } from "pinia"
import { afterAll, beforeAll, beforeEach, describe, expect, test, vi } from "vitest"
import { setCredential } from "@/api/client.ts"
import { mountWithVuetify } from "@/testing/mount.ts"
import { useAccountStore } from "@/stores/account.ts"
import PasswordCard from "./PasswordCard.vue"

const CURRENT = "correct horse battery"
let server: Server
/** Bodies the fake control plane received at POST /api/v1/auth/password. */
let received: Record<string, unknown>[] = []

const problem = (res: ServerResponse, status: number, code: string, detail: string, field?: string) => {
  res.writeHead(status, { "content-type": "application/problem+json" })
  res.end(
    JSON.stringify({
      type: "about:blank",
      title: "Refused",
      status,
      code,
      detail,
      errors: field ? [{ field: `/${field}`, message: detail }] : [],
    }),
  )
}

async function route(req: IncomingMessage, res: ServerResponse) {
  let text = ""
  for await (const chunk of req) text += chunk
  if (req.url === "/api/v1/auth/sign-ins") {
    res.writeHead(200, { "content-type": "application/json" })
    return res.end("[]")
  }
  if (req.url !== "/api/v1/auth/password") return problem(res, 404, "NOT_FOUND", "not here")
  const body = JSON.parse(text) as { currentPassword: string; newPassword: string }
  received.push(body)
  if (body.currentPassword !== CURRENT)
    return problem(res, 403, "CURRENT_PASSWORD_INVALID", "The current password is wrong.", "currentPassword")
  if (body.newPassword.length < 10)
    return problem(res, 422, "WEAK_PASSWORD", "The password must be at least 10 characters long.", "newPassword")
  res.writeHead(200, { "content-type": "application/json" })
  res.end(JSON.stringify({ revoked: 2 }))
}

beforeAll(async () => {
  server = createServer((req, res) => void route(req, res))
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  ;(window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(`${origin}/account`)
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))
beforeEach(() => {
  setActivePinia(createPinia())
  setCredential("eyJ.access.sig") // (re)creates the client for the fake control plane's origin
  received = []
})

const status = (overrides: Partial<AuthStatus> = {}): AuthStatus => ({
  passwordSet: true,
  totpEnabled: false,
  recoveryCodesLeft: 0,
  passwordMinLength: 12,
  ...overrides,
})

async function mountCard(overrides: Partial<AuthStatus> = {}) {
  useAccountStore().status = status(overrides)
  const wrapper = mountWithVuetify(PasswordCard)
  await flushPromises()
  return wrapper
}

type Wrapper = Awaited<ReturnType<typeof mountCard>>
const field = (w: Wrapper, name: string) => w.find(`[data-test=${name}]`)
const input = (w: Wrapper, name: string) => w.find(`[data-test=${name}] input`)

/** The fake control plane answers over a real socket: wait for what the answer leads to. */
const until = (check: () => void) => vi.waitFor(check, { timeout: 5000, interval: 20 })

async function fill(w: Wrapper, values: Record<string, string>) {
  await field(w, "password-start").trigger("click")
  for (const [name, value] of Object.entries(values)) await input(w, name).setValue(value)
  await w.find("form").trigger("submit")
  await flushPromises()
}

describe("PasswordCard", () => {
  test("a change sends the current and new password and says the other devices were signed out", async () => {
    const w = await mountCard()
    await field(w, "password-start").trigger("click")
    expect(field(w, "new-password").text()).toContain("At least 12 characters, not containing your username.")
    await w.find("[data-test=cancel-password]").trigger("click")
    await fill(w, {
      "current-password": CURRENT,
      "new-password": "a new long password",
      "confirm-password": "a new long password",
    })
    await until(() => expect(field(w, "password-changed").text()).toContain("2 other devices were signed out"))
    expect(received).toEqual([{ currentPassword: CURRENT, newPassword: "a new long password" }])
    // The form is gone, and with it the passwords typed into it.
    expect(field(w, "current-password").exists()).toBe(false)
    w.unmount()
  })

  test("the control plane's refusals appear beside the field they name", async () => {
    const w = await mountCard()
    await fill(w, {
      "current-password": "a wrong guess",
      "new-password": "a new long password",
      "confirm-password": "a new long password",
    })
    await until(() => expect(field(w, "current-password").text()).toContain("The current password is wrong."))
    expect(field(w, "password-changed").exists()).toBe(false)

    await input(w, "current-password").setValue(CURRENT)
    await input(w, "new-password").setValue("short")
    await input(w, "confirm-password").setValue("short")
    await w.find("form").trigger("submit")
    await flushPromises()
    await until(() => expect(field(w, "new-password").text()).toContain("at least 10 characters"))
    expect(field(w, "current-password").text()).not.toContain("wrong")
    w.unmount()
  })

  test("two different new passwords are caught before anything is sent", async () => {
    const w = await mountCard()
    await fill(w, {
      "current-password": CURRENT,
      "new-password": "a new long password",
      "confirm-password": "a new long passwort",
    })
    expect(field(w, "confirm-password").text()).toContain("The two passwords differ.")
    expect(received).toEqual([])
    w.unmount()
  })

  test("show and hide reveal the typed passwords", async () => {
    const w = await mountCard()
    await field(w, "password-start").trigger("click")
    expect(input(w, "current-password").attributes("type")).toBe("password")
    await field(w, "reveal-current").trigger("click")
    expect(input(w, "current-password").attributes("type")).toBe("text")
    expect(input(w, "new-password").attributes("type")).toBe("password")
    await field(w, "reveal-new").trigger("click")
    expect(input(w, "new-password").attributes("type")).toBe("text")
    expect(input(w, "confirm-password").attributes("type")).toBe("text")
    w.unmount()
  })

  test("with two-factor on, the code from the app is sent too", async () => {
    const w = await mountCard({ totpEnabled: true })
    await fill(w, {
      "current-password": CURRENT,
      "new-password": "a new long password",
      "confirm-password": "a new long password",
      "password-totp": "123 456",
    })
    await until(() => expect(field(w, "password-changed").exists()).toBe(true))
    expect(received).toEqual([{ currentPassword: CURRENT, newPassword: "a new long password", totp: "123456" }])
    w.unmount()
  })

  test("an account without a local password is told to change it at its identity provider, with no form", async () => {
    const w = await mountCard({ passwordSet: false })
    expect(field(w, "password-managed").text()).toContain("identity provider")
    expect(field(w, "password-start").exists()).toBe(false)
    expect(w.find("form").exists()).toBe(false)
    w.unmount()
  })
})
