// The HTTP plugins every feature route uses: request id + audit, and the caller's principal.
import { Elysia } from "elysia"
import type { PrincipalResolver } from "../modules/identity/principal.ts"
import { authContext } from "./auth-context.ts"
import type { AuditWriter } from "../modules/audit/writer.ts"
import { requestContext } from "./request-context.ts"

export const httpPlugins = (audit: AuditWriter, principals: PrincipalResolver) =>
  new Elysia({ name: "http-plugins" })
    .use(requestContext(audit, (authorization) => principals.resolve(authorization ?? undefined).catch(() => null)))
    .use(authContext(principals))

export type HttpPlugins = ReturnType<typeof httpPlugins>
