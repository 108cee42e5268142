// The request's principal, and the `auth` route option that demands one with at least a role.
import type { Role } from "@streamspace/schemas"
import { Elysia } from "elysia"
import { Forbidden, Unauthenticated } from "./errors.ts"
import { hasRole, type Principal, type PrincipalResolver } from "../modules/identity/principal.ts"

export const authContext = (principals: PrincipalResolver) =>
  new Elysia({ name: "auth-context" })
    .derive({ as: "global" }, async ({ headers }) => ({
      principal: await principals.resolve(headers.authorization),
    }))
    .macro({
      /** `auth: "user"` → any signed-in principal; "operator"/"admin" → at least that role. */
      auth(role: Role) {
        return {
          // transform runs before body validation: an anonymous caller learns nothing about the shape.
          transform({ principal }: { principal: Principal | null }) {
            if (!principal) throw new Unauthenticated()
            if (!hasRole(principal, role)) throw new Forbidden(`This action needs the ${role} role.`)
          },
          resolve({ principal }: { principal: Principal | null }) {
            return { user: principal as Principal }
          },
        }
      },
    })
