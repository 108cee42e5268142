// A real OIDC provider (oidc-provider 9) on loopback for tests, and a browser stand-in that walks its dev login and consent.
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import Provider, { type Configuration } from "oidc-provider"

export interface TestAccount {
  email: string
  emailVerified: boolean
  name: string
  preferredUsername: string
  groups: string[]
}

export interface TestOidcProvider {
  issuer: string
  clientId: string
  clientSecret: string
  accounts: Map<string, TestAccount>
  close(): Promise<void>
}

/** Starts the provider on 127.0.0.1 with one confidential client whose callback is `redirectUri`. */
export async function startOidcProvider(redirectUri: string): Promise<TestOidcProvider> {
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const accounts = new Map<string, TestAccount>()
  const clientId = "streamspace"
  const clientSecret = "test-client-secret-0123456789abcdef"
  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [redirectUri],
        response_types: ["code"],
        grant_types: ["authorization_code"],
      },
    ],
    // ID tokens carry email and groups themselves (the default keeps them for userinfo only).
    conformIdTokenClaims: false,
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name", "preferred_username"], groups: ["groups"] },
    scopes: ["openid", "email", "profile", "groups"],
    pkce: { required: () => true },
    cookies: { keys: ["test-cookie-key-0123456789"] },
    ttl: { AccessToken: 600, Grant: 600, IdToken: 600, Interaction: 600, Session: 600 },
    findAccount: (_ctx, sub) => {
      const account = accounts.get(sub)
      if (account === undefined) return undefined
      return {
        accountId: sub,
        claims: () => ({
          sub,
          email: account.email,
          email_verified: account.emailVerified,
          name: account.name,
          preferred_username: account.preferredUsername,
          groups: account.groups,
        }),
      }
    },
  }
  const provider = new Provider(issuer, configuration)
  server.on("request", provider.callback())
  return {
    issuer,
    clientId,
    clientSecret,
    accounts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** Cookies by name, as a browser would keep them for two hosts on loopback (paths ignored: names do not clash here). */
export class CookieJar {
  private readonly cookies = new Map<string, string>()
  take(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = ""] = line.split(";")
      const at = pair.indexOf("=")
      const name = pair.slice(0, at).trim()
      const value = pair.slice(at + 1).trim()
      if (value === "" || /max-age=0\b/i.test(line)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
  }
  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ")
  }
  get(name: string): string | undefined {
    return this.cookies.get(name)
  }
}

/**
 * Follows redirects by hand (keeping cookies) from `start` until the response is not a redirect or
 * its location starts with `stopAt`; answers the last response and, when stopped there, the location.
 */
export async function follow(jar: CookieJar, start: string, stopAt: string, init: RequestInit = {}) {
  let url = start
  let request = init
  for (let hop = 0; hop < 20; hop++) {
    const response = await fetch(url, { ...request, redirect: "manual", headers: { ...request.headers, cookie: jar.header() } })
    jar.take(response)
    const location = response.headers.get("location")
    if (response.status < 300 || response.status >= 400 || location === null) return { response, location: undefined }
    const next = new URL(location, url).toString()
    if (next.startsWith(stopAt)) return { response, location: next }
    url = next
    request = {}
  }
  throw new Error(`more than 20 redirects from ${start}`)
}

/** Submits the provider's dev login form for `accountId`, then its consent form; answers the callback URL it redirects to. */
export async function loginAtProvider(jar: CookieJar, authorizationUrl: string, accountId: string, callback: string) {
  let { response, location } = await follow(jar, authorizationUrl, callback)
  for (const prompt of ["login", "consent"]) {
    if (location !== undefined) break
    const form = await response.text()
    const action = /action="([^"]+)"/.exec(form)?.[1]
    if (action === undefined) throw new Error(`no ${prompt} form at the provider: ${form.slice(0, 200)}`)
    const body = new URLSearchParams(prompt === "login" ? { prompt, login: accountId, password: "any" } : { prompt })
    ;({ response, location } = await follow(jar, new URL(action, authorizationUrl).toString(), callback, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body,
    }))
  }
  if (location === undefined) throw new Error(`the provider did not redirect to the callback (status ${response.status})`)
  return location
}
