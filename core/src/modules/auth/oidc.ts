// OIDC relying party (openid-client): authorization code + PKCE with state and nonce; claims become a profile for the plugin.
import { createHmac } from "node:crypto"
import type { OidcProfile } from "@streamspace/schemas"
import * as client from "openid-client"
import { sameSecret } from "../../infra/ids.ts"
import { AuthRefused } from "./errors.ts"

export interface OidcOptions {
  issuer: string
  clientId: string
  /** Absent for a public client: PKCE alone protects the code. */
  clientSecret?: string
  redirectUri: string
  scopes: string
  /** The claim whose values the auth plugin maps to roles, e.g. groups. */
  roleClaim: string
  /** Shown on the sign-in button. */
  name: string
  /** Plain http to the provider: only for tests on loopback. */
  allowInsecureRequests: boolean
}

/** What travels in the flow cookie between start and callback, signed so it cannot be altered. */
interface FlowState {
  state: string
  nonce: string
  verifier: string
  returnTo: string
  expiresAt: number
}

export const FLOW_TTL_SECONDS = 600

/** Only same-origin paths: an open redirect would let a link send a signed-in user anywhere. */
export const safeReturnTo = (value: string | undefined): string =>
  value !== undefined && /^\/(?![/\\])[^\s]*$/.test(value) && value.length <= 1024 ? value : "/"

const clip = (value: unknown, max: number): string | undefined =>
  typeof value === "string" && value !== "" ? value.slice(0, max) : undefined

const claimValues = (value: unknown): string[] =>
  (Array.isArray(value) ? value : [value])
    .filter((v): v is string => typeof v === "string")
    .map((v) => v.slice(0, 256))
    .slice(0, 256)

export function createOidc(options: OidcOptions, signingKey: string) {
  const key = createHmac("sha256", signingKey).update("streamspace.oidc-flow").digest()
  const sign = (payload: string) => createHmac("sha256", key).update(payload).digest("base64url")
  let discovered: Promise<client.Configuration> | undefined

  const configuration = (): Promise<client.Configuration> => {
    discovered ??= client
      .discovery(
        new URL(options.issuer),
        options.clientId,
        options.clientSecret,
        options.clientSecret === undefined ? client.None() : client.ClientSecretBasic(options.clientSecret),
        { execute: options.allowInsecureRequests ? [client.allowInsecureRequests] : [], timeout: 10 },
      )
      .catch((error: unknown) => {
        discovered = undefined // try again on the next sign-in
        throw new AuthRefused(
          "OIDC_PROVIDER_UNAVAILABLE",
          `The identity provider ${options.issuer} cannot be reached (${(error as Error).message}). Try again later.`,
        )
      })
    return discovered
  }

  const seal = (flow: FlowState) => {
    const payload = Buffer.from(JSON.stringify(flow)).toString("base64url")
    return `${payload}.${sign(payload)}`
  }

  const unseal = (value: string | undefined): FlowState => {
    const [payload = "", mac = ""] = (value ?? "").split(".")
    const expired = () =>
      new AuthRefused("OIDC_FAILED", "The sign-in with the identity provider expired or was started elsewhere. Start again.")
    if (payload === "" || !sameSecret(mac, sign(payload))) throw expired()
    const flow = JSON.parse(Buffer.from(payload, "base64url").toString()) as FlowState
    if (flow.expiresAt <= Date.now()) throw expired()
    return flow
  }

  return {
    name: options.name,

    /** The provider's authorization URL and the sealed flow state to keep in a cookie until the callback. */
    async start(returnTo: string | undefined): Promise<{ url: string; flow: string }> {
      const config = await configuration()
      const flow: FlowState = {
        state: client.randomState(),
        nonce: client.randomNonce(),
        verifier: client.randomPKCECodeVerifier(),
        returnTo: safeReturnTo(returnTo),
        expiresAt: Date.now() + FLOW_TTL_SECONDS * 1000,
      }
      const url = client.buildAuthorizationUrl(config, {
        redirect_uri: options.redirectUri,
        scope: options.scopes,
        code_challenge: await client.calculatePKCECodeChallenge(flow.verifier),
        code_challenge_method: "S256",
        state: flow.state,
        nonce: flow.nonce,
      })
      return { url: url.toString(), flow: seal(flow) }
    },

    /** Redeems the code (checking state, nonce and PKCE) and reads the identity from the ID token (and userinfo). */
    async finish(search: URLSearchParams, sealedFlow: string | undefined): Promise<{ profile: OidcProfile; returnTo: string }> {
      const flow = unseal(sealedFlow)
      const config = await configuration()
      const current = new URL(options.redirectUri)
      current.search = search.toString()
      let claims: Record<string, unknown>
      try {
        const tokens = await client.authorizationCodeGrant(config, current, {
          pkceCodeVerifier: flow.verifier,
          expectedState: flow.state,
          expectedNonce: flow.nonce,
          idTokenExpected: true,
        })
        claims = { ...tokens.claims() }
        const sub = claims.sub
        if (!(options.roleClaim in claims) && typeof sub === "string" && config.serverMetadata().userinfo_endpoint)
          claims = { ...(await client.fetchUserInfo(config, tokens.access_token, sub)), ...claims }
      } catch (error) {
        if (error instanceof AuthRefused) throw error
        throw new AuthRefused("OIDC_FAILED", `The identity provider did not confirm the sign-in: ${(error as Error).message}`)
      }
      const subject = clip(claims.sub, 255)
      if (subject === undefined) throw new AuthRefused("OIDC_FAILED", "The identity provider sent no subject (sub) claim.")
      const profile: OidcProfile = {
        issuer: config.serverMetadata().issuer.slice(0, 512),
        subject,
        groups: claimValues(claims[options.roleClaim]),
      }
      const email = clip(claims.email, 254)
      if (email !== undefined) profile.email = email
      if (typeof claims.email_verified === "boolean") profile.emailVerified = claims.email_verified
      const name = clip(claims.name, 256)
      if (name !== undefined) profile.name = name
      const preferred = clip(claims.preferred_username, 256)
      if (preferred !== undefined) profile.preferredUsername = preferred
      return { profile, returnTo: flow.returnTo }
    },
  }
}

export type Oidc = ReturnType<typeof createOidc>
