// OIDC sign-in routes: start (redirect to the provider) and callback (redeem the code, sign in, back to the portal).
import { Elysia, t } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import { clearedFlowCookie, flowCookie, readCookie, refreshCookie } from "./cookies.ts"
import { AuthRefused } from "./errors.ts"
import { type AuthRouteOptions, clientOf } from "./request-info.ts"
import { FLOW_TTL_SECONDS, type Oidc } from "./oidc.ts"
import * as auth from "./service.ts"

const FLOW_COOKIE = "ss_oidc"
const FLOW_PATH = "/api/v1/auth/oidc"
const tags = ["auth"]

const configured = (oidc: Oidc | undefined): Oidc => {
  if (oidc === undefined)
    throw new AuthRefused("OIDC_NOT_CONFIGURED", "OIDC sign-in is not configured here (OIDC_ISSUER and OIDC_CLIENT_ID).")
  return oidc
}

const wantsHtml = (request: Request) => (request.headers.get("accept") ?? "").includes("text/html")

const redirect = (location: string, cookies: string[]) => {
  const headers = new Headers({ location })
  for (const cookie of cookies) headers.append("set-cookie", cookie)
  return new Response(null, { status: 303, headers })
}

export const oidcRoutes = (deps: CoreDeps, options: AuthRouteOptions) =>
  new Elysia({ name: "auth-oidc", prefix: "/oidc" })
    .get(
      "/start",
      async ({ query }) => {
        const { url, flow } = await configured(options.oidc).start(query.returnTo)
        return redirect(url, [flowCookie(FLOW_COOKIE, flow, FLOW_PATH, FLOW_TTL_SECONDS, options.cookies)])
      },
      {
        query: t.Object({ returnTo: t.Optional(t.String({ maxLength: 1024 })) }),
        detail: { summary: "Start an OIDC sign-in: redirects to the identity provider", tags },
      },
    )
    .get(
      "/callback",
      async ({ request, server }) => {
        try {
          const oidc = configured(options.oidc)
          const url = new URL(request.url)
          const { profile, returnTo } = await oidc.finish(
            url.searchParams,
            readCookie(request.headers.get("cookie"), FLOW_COOKIE),
          )
          const tokens = await auth.oidcSignIn(deps, profile, clientOf(request, server))
          // The portal then calls POST /auth/refresh with this cookie to get its access token.
          return redirect(returnTo, [
            refreshCookie(tokens.refreshToken, tokens.refreshExpiresAt, options.cookies),
            clearedFlowCookie(FLOW_COOKIE, FLOW_PATH, options.cookies),
          ])
        } catch (error) {
          // A person in a browser gets the portal's sign-in page naming the failure (by code only:
          // the portal words it); other clients get the problem document.
          if (!(error instanceof AuthRefused) || !wantsHtml(request)) throw error
          return redirect(`/sign-in?ssoError=${encodeURIComponent(error.code)}`, [
            clearedFlowCookie(FLOW_COOKIE, FLOW_PATH, options.cookies),
          ])
        }
      },
      { detail: { summary: "Where the identity provider sends the browser back; signs in and redirects to the portal", tags } },
    )
