// API keys: created by their owner, secret shown once, revocable by the owner or an admin.
import type { ApiKey, CreateApiKey, CreatedApiKey, User } from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { NotFound } from "../../http/errors.ts"
import { hashSecret, newSecret } from "../../infra/ids.ts"
import { hasRole, type Principal } from "../identity/principal.ts"
import { getActiveUser } from "../users/service.ts"
import * as repo from "./repo.ts"

export const API_KEY_PREFIX = "ssk"
/** Writing last_used_at on every call would turn reads into writes; once a minute is enough. */
const TOUCH_EVERY_MS = 60_000

export async function createApiKey(deps: CoreDeps, owner: Principal, input: CreateApiKey): Promise<CreatedApiKey> {
  const secret = newSecret(API_KEY_PREFIX)
  const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000).toISOString() : null
  const key = await repo.insertApiKey(deps.sql, {
    userId: owner.id,
    name: input.name,
    prefix: secret.slice(0, API_KEY_PREFIX.length + 7),
    secretHash: hashSecret(secret),
    expiresAt,
  })
  return { ...key, secret }
}

/** Owners see their keys; admins may list everyone's. */
export const listApiKeys = (deps: CoreDeps, viewer: Principal, all: boolean) =>
  repo.listApiKeys(deps.sql, all && hasRole(viewer, "admin") ? null : viewer.id)

export async function revokeApiKey(deps: CoreDeps, actor: Principal, id: string): Promise<ApiKey> {
  const key = await repo.findApiKey(deps.sql, id)
  // Someone else's key answers 404: its existence is not the caller's business.
  if (!key || (key.userId !== actor.id && !hasRole(actor, "admin"))) throw new NotFound("That API key")
  const revoked = await repo.revokeApiKey(deps.sql, id)
  deps.principals.forget()
  return revoked as ApiKey
}

export async function resolveApiKey(deps: CoreDeps, secret: string): Promise<{ keyId: string; user: User } | null> {
  const found = await repo.findLiveKeyOwner(deps.sql, hashSecret(secret))
  if (!found) return null
  const user = await getActiveUser(deps, found.userId)
  if (!user) return null
  if (!found.lastUsedAt || Date.now() - Date.parse(found.lastUsedAt) > TOUCH_EVERY_MS)
    await repo.touchApiKey(deps.sql, found.keyId)
  return { keyId: found.keyId, user }
}
