// Role order as the control plane applies it: an admin can do what an operator can, and so on.
import type { Role } from "@streamspace/schemas"

const RANK: Record<Role, number> = { user: 1, operator: 2, admin: 3 }

export const hasRole = (role: Role | undefined, needed: Role): boolean => role !== undefined && RANK[role] >= RANK[needed]

export const ROLES: readonly Role[] = ["user", "operator", "admin"]
