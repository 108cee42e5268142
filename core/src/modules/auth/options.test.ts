// Sign-in options from the configuration: Secure cookies over https, OIDC only when fully configured.
import { expect, test } from "bun:test"
import { ConfigError, loadConfig } from "../../config.ts"
import { clearedRefreshCookie, refreshCookie } from "./cookies.ts"
import { authOptionsFrom } from "./options.ts"

const KEY = "a-signing-key-that-is-long-enough-0000000000"

test("an https PUBLIC_URL makes the refresh cookie Secure; plain http does not", () => {
  const https = authOptionsFrom(loadConfig({ PUBLIC_URL: "https://desk.example.com" }), KEY)
  expect(https).toMatchObject({ cookies: { secure: true }, publicUrl: "https://desk.example.com" })
  const expires = new Date(Date.now() + 3600_000).toISOString()
  expect(refreshCookie("ssr_x", expires, https.cookies)).toMatch(
    /^ss_refresh=ssr_x; Max-Age=(35\d\d|3600); Path=\/api\/v1\/auth; HttpOnly; SameSite=Strict; Secure$/,
  )
  expect(clearedRefreshCookie(https.cookies)).toEndWith("SameSite=Strict; Secure")
  const http = authOptionsFrom(loadConfig({ PORT: "9000" }), KEY)
  expect(http).toMatchObject({ cookies: { secure: false } })
  // Invitation links then use the origin of the admin's own request.
  expect(http.publicUrl).toBeUndefined()
  expect(http.oidc).toBeUndefined()
})

test("OIDC is offered only with both the issuer and the client id", () => {
  expect(() => authOptionsFrom(loadConfig({ OIDC_ISSUER: "https://idp.example.com" }), KEY)).toThrow(ConfigError)
  expect(() => authOptionsFrom(loadConfig({ OIDC_CLIENT_ID: "streamspace" }), KEY)).toThrow(
    "OIDC needs both OIDC_ISSUER and OIDC_CLIENT_ID",
  )
  const options = authOptionsFrom(
    loadConfig({ OIDC_ISSUER: "https://idp.example.com", OIDC_CLIENT_ID: "streamspace", OIDC_NAME: "Example SSO" }),
    KEY,
  )
  expect(options.oidc?.name).toBe("Example SSO")
})

test("OIDC_ALLOW_INSECURE accepts only true or false", () => {
  expect(() => loadConfig({ OIDC_ALLOW_INSECURE: "yes" })).toThrow("OIDC_ALLOW_INSECURE")
})
