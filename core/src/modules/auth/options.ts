// Sign-in options from the validated configuration: secure cookies, the public URL, and OIDC when it is configured.
import type { CoreConfig } from "@streamspace/schemas"
import { ConfigError } from "../../config.ts"
import { createOidc } from "./oidc.ts"
import type { AuthRouteOptions } from "./request-info.ts"

export function authOptionsFrom(config: CoreConfig, signingKey: string): AuthRouteOptions {
  const publicUrl = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`
  // Without PUBLIC_URL, invitation links use the address the admin reached the portal at, not localhost.
  const options: AuthRouteOptions = { cookies: { secure: publicUrl.startsWith("https://") }, publicUrl: config.PUBLIC_URL }
  if (config.OIDC_ISSUER === undefined && config.OIDC_CLIENT_ID === undefined) return options
  if (config.OIDC_ISSUER === undefined || config.OIDC_CLIENT_ID === undefined)
    throw new ConfigError("Invalid configuration: OIDC needs both OIDC_ISSUER and OIDC_CLIENT_ID (or neither).")
  options.oidc = createOidc(
    {
      issuer: config.OIDC_ISSUER,
      clientId: config.OIDC_CLIENT_ID,
      clientSecret: config.OIDC_CLIENT_SECRET,
      redirectUri: config.OIDC_REDIRECT_URI ?? new URL("/api/v1/auth/oidc/callback", publicUrl).toString(),
      scopes: config.OIDC_SCOPES,
      roleClaim: config.OIDC_ROLE_CLAIM,
      name: config.OIDC_NAME,
      allowInsecureRequests: config.OIDC_ALLOW_INSECURE === "true",
    },
    signingKey,
  )
  return options
}
