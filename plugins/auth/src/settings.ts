// The install's config with defaults filled in: the core validates it against manifest.json, this only reads it.
import { config } from "host:api"

export type Role = "admin" | "operator" | "user"

export interface AuthSettings {
  password: { minLength: number }
  lockout: { maxFailures: number; windowSeconds: number; lockoutSeconds: number }
  rateLimit: { maxFailuresPerIp: number; windowSeconds: number }
  signIn: { ttlSeconds: number; idleSeconds: number }
  invitation: { ttlSeconds: number }
  totp: { issuer: string; window: number }
  recoveryCodes: { count: number }
  oidc: {
    provision: boolean
    linkByEmail: boolean
    syncRole: boolean
    defaultRole: Role
    /** Values of the role claim that grant a role; the highest role matched wins. */
    roleMapping: { admin: string[]; operator: string[] }
    /** When not empty, only members of one of these groups may sign in with OIDC. */
    allowedGroups: string[]
  }
}

type Json = Record<string, unknown>
const section = (raw: unknown, key: string): Json => {
  const value = raw !== null && typeof raw === "object" ? (raw as Json)[key] : undefined
  return value !== null && typeof value === "object" ? (value as Json) : {}
}
const int = (raw: Json, key: string, fallback: number, min: number) => {
  const value = raw[key]
  return typeof value === "number" && Number.isInteger(value) && value >= min ? value : fallback
}
const bool = (raw: Json, key: string, fallback: boolean) => (typeof raw[key] === "boolean" ? (raw[key] as boolean) : fallback)
const text = (raw: Json, key: string, fallback: string) =>
  typeof raw[key] === "string" && raw[key] !== "" ? (raw[key] as string) : fallback
const strings = (raw: Json, key: string): string[] => {
  const value = raw[key]
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : []
}
const role = (value: unknown): Role => (value === "admin" || value === "operator" ? value : "user")

const read = (raw: unknown): AuthSettings => {
  const password = section(raw, "password")
  const lockout = section(raw, "lockout")
  const rateLimit = section(raw, "rateLimit")
  const signIn = section(raw, "signIn")
  const invitation = section(raw, "invitation")
  const totp = section(raw, "totp")
  const recoveryCodes = section(raw, "recoveryCodes")
  const oidc = section(raw, "oidc")
  const mapping = section(oidc, "roleMapping")
  return {
    password: { minLength: int(password, "minLength", 10, 1) },
    lockout: {
      maxFailures: int(lockout, "maxFailures", 5, 1),
      windowSeconds: int(lockout, "windowSeconds", 900, 1),
      lockoutSeconds: int(lockout, "lockoutSeconds", 900, 1),
    },
    rateLimit: {
      maxFailuresPerIp: int(rateLimit, "maxFailuresPerIp", 50, 1),
      windowSeconds: int(rateLimit, "windowSeconds", 900, 1),
    },
    signIn: { ttlSeconds: int(signIn, "ttlSeconds", 30 * 86400, 60), idleSeconds: int(signIn, "idleSeconds", 7 * 86400, 60) },
    invitation: { ttlSeconds: int(invitation, "ttlSeconds", 72 * 3600, 1) },
    totp: { issuer: text(totp, "issuer", "StreamSpace"), window: int(totp, "window", 1, 0) },
    recoveryCodes: { count: int(recoveryCodes, "count", 10, 1) },
    oidc: {
      provision: bool(oidc, "provision", true),
      linkByEmail: bool(oidc, "linkByEmail", true),
      syncRole: bool(oidc, "syncRole", true),
      defaultRole: role(oidc.defaultRole),
      roleMapping: { admin: strings(mapping, "admin"), operator: strings(mapping, "operator") },
      allowedGroups: strings(oidc, "allowedGroups"),
    },
  }
}

/** The config cannot change while an isolate lives (a new config reloads the install), so it is read once. */
export const settings: AuthSettings = read(config)
