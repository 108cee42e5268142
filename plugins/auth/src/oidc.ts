// OIDC sign-in policy: which user a verified identity is (link by subject, then email), provisioning, and its role.
import type { AuthClient, AuthDenied, AuthGranted, OidcProfile, User } from "@streamspace/schemas"
import { kv, log, users } from "host:api"
import { digest } from "./codec.ts"
import { deny } from "./outcomes.ts"
import { type Role, settings } from "./settings.ts"
import { startSignIn } from "./sign-ins.ts"

interface Link {
  userId: string
  issuer: string
  subject: string
}

const linkKey = async (profile: OidcProfile) => `oidc:${await digest(`${profile.issuer}\n${profile.subject}`)}`

/** The highest role any of the profile's groups maps to; the default role otherwise. */
function roleFor(groups: string[]): Role {
  const { roleMapping, defaultRole } = settings.oidc
  if (groups.some((g) => roleMapping.admin.includes(g))) return "admin"
  if (groups.some((g) => roleMapping.operator.includes(g))) return "operator"
  return defaultRole
}

/** A username from the profile that fits the core's rules: preferred_username, the email's local part, or the subject. */
function usernameFrom(profile: OidcProfile): string {
  const candidates = [profile.preferredUsername, profile.email?.split("@")[0], `oidc-${profile.subject}`]
  for (const candidate of candidates) {
    const name = (candidate ?? "")
      .toLowerCase()
      .replace(/[^a-z0-9._-]+/g, "-")
      .replace(/^[^a-z0-9]+/, "")
      .slice(0, 56)
    if (name.length >= 2) return name
  }
  return "oidc-user"
}

const verifiedEmail = (profile: OidcProfile) => (profile.emailVerified === true ? profile.email?.toLowerCase() : undefined)

async function linkedUser(profile: OidcProfile): Promise<User | null> {
  const key = await linkKey(profile)
  const link = (await kv.get(key)) as Link | null
  if (link !== null) {
    const user = await users.get(link.userId)
    if (user !== null) return user
    await kv.delete(key) // the user was deleted: treat the identity as new
  }
  const email = verifiedEmail(profile)
  if (settings.oidc.linkByEmail && email !== undefined) return users.lookup({ email })
  return null
}

/** Creates the user; a taken username gets a numbered suffix, a taken email is left off. */
async function provision(profile: OidcProfile, role: Role): Promise<User> {
  const base = usernameFrom(profile)
  let email = verifiedEmail(profile)
  let lastError: unknown
  for (let attempt = 0; attempt < 6; attempt++) {
    const username = attempt === 0 ? base : `${base}-${attempt + 1}`
    try {
      return await users.create({ username, role, displayName: profile.name || username, ...(email ? { email } : {}) })
    } catch (error) {
      lastError = error
      if (email !== undefined && String((error as Error).message).includes("email")) email = undefined
    }
  }
  throw lastError
}

export async function oidcSignIn(profile: OidcProfile, client: AuthClient): Promise<AuthGranted | AuthDenied> {
  const { allowedGroups, provision: mayProvision, syncRole } = settings.oidc
  if (allowedGroups.length > 0 && !profile.groups.some((g) => allowedGroups.includes(g)))
    return deny("OIDC_GROUP_REQUIRED", "Your account at the identity provider is not in a group allowed to use StreamSpace.")
  const role = roleFor(profile.groups)
  let user = await linkedUser(profile)
  if (user === null) {
    if (!mayProvision)
      return deny("OIDC_NOT_PROVISIONED", "There is no StreamSpace account for this identity. Ask an admin to create one.")
    user = await provision(profile, role)
    await log.info("Provisioned a user from an OIDC sign-in.", { userId: user.id, username: user.username, role })
  } else if (syncRole && user.role !== role) {
    try {
      user = (await users.update(user.id, { role })) ?? user
    } catch (error) {
      // E.g. the last admin's role cannot drop: keep the current role and say why in the log.
      await log.warn(`Could not change the role from the identity provider: ${(error as Error).message}`, { userId: user.id })
    }
  }
  if (user.disabled) return deny("ACCOUNT_DISABLED", "This account is disabled. Ask an admin.")
  const link: Link = { userId: user.id, issuer: profile.issuer, subject: profile.subject }
  await kv.set(await linkKey(profile), link)
  return startSignIn(user.id, "oidc", client)
}
