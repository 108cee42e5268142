// InMemoryHostApi: a complete HostApi on plain maps, for plugin authors' tests and the runtime's own tests.
import { ACTIVE_STATES, canTransition, type IdleWarning, type Session, type SessionState, type User } from "@streamspace/schemas"
import { type HostApi, type HostCallContext, HostCallError, type LogLevel } from "./host-api.ts"
import { createHostApi, type HostApiOptions } from "./standard-host.ts"

interface KvEntry {
  json: string
  bytes: number
  expiresAt: number | undefined
}

export interface InMemoryHostData {
  sessions?: Session[]
  users?: User[]
  /** Secrets by install id, then by name. */
  secrets?: Record<string, Record<string, string>>
}

export interface LogRecord {
  installId: string
  level: LogLevel
  message: string
  fields?: Record<string, unknown>
}

const entrySize = (key: string, json: string) => Buffer.byteLength(key) + Buffer.byteLength(json)

export class InMemoryHostApi implements HostApi {
  readonly logs: LogRecord[] = []
  readonly sessionsById = new Map<string, Session>()
  readonly usersById = new Map<string, User>()
  readonly secretValues: Record<string, Record<string, string>>
  private readonly kvByInstall = new Map<string, Map<string, KvEntry>>()
  private readonly standard: HostApi
  private readonly now: () => number

  constructor(data: InMemoryHostData = {}, options: HostApiOptions = {}) {
    for (const s of data.sessions ?? []) this.sessionsById.set(s.id, s)
    for (const u of data.users ?? []) this.usersById.set(u.id, u)
    this.secretValues = data.secrets ?? {}
    this.now = options.now ?? Date.now
    this.standard = createHostApi(this, options)
  }

  log = (ctx: HostCallContext, level: LogLevel, message: string, fields?: Record<string, unknown>) => {
    this.logs.push({ installId: ctx.installId, level, message, fields })
  }

  private live(ctx: HostCallContext): Map<string, KvEntry> {
    const store = this.kvByInstall.get(ctx.installId) ?? new Map<string, KvEntry>()
    this.kvByInstall.set(ctx.installId, store)
    const now = this.now()
    for (const [key, entry] of store) if (entry.expiresAt !== undefined && entry.expiresAt <= now) store.delete(key)
    return store
  }

  /** Bytes an install's kv holds, as counted against its quota. */
  kvBytes(installId: string): number {
    let total = 0
    for (const entry of this.kvByInstall.get(installId)?.values() ?? []) total += entry.bytes
    return total
  }

  kv: HostApi["kv"] = {
    get: async (ctx, key) => {
      const entry = this.live(ctx).get(key)
      return entry === undefined ? null : JSON.parse(entry.json)
    },
    set: async (ctx, key, value, { ttlSeconds, quotaBytes }) => {
      const store = this.live(ctx)
      const json = JSON.stringify(value ?? null)
      const bytes = entrySize(key, json)
      const after = this.kvBytes(ctx.installId) - (store.get(key)?.bytes ?? 0) + bytes
      if (after > quotaBytes) {
        throw new HostCallError("HOST_QUOTA_EXCEEDED", `kv would hold ${after} bytes; this install's quota is ${quotaBytes}.`)
      }
      store.set(key, { json, bytes, expiresAt: ttlSeconds === undefined ? undefined : this.now() + ttlSeconds * 1000 })
    },
    increment: async (ctx, key, by, { ttlSeconds, quotaBytes }) => {
      const entry = this.live(ctx).get(key)
      const current = entry === undefined ? 0 : JSON.parse(entry.json)
      if (typeof current !== "number")
        throw new HostCallError(
          "HOST_BAD_ARGUMENTS",
          `kv key ${key} holds ${typeof current}, not a number, and cannot be incremented.`,
        )
      const value = current + by
      // A live key keeps its expiry: a counter's window is fixed by its first increment.
      const ttl = entry === undefined ? ttlSeconds : undefined
      await this.kv.set(ctx, key, value, { ttlSeconds: ttl, quotaBytes })
      if (entry !== undefined) (this.live(ctx).get(key) as KvEntry).expiresAt = entry.expiresAt
      return value
    },
    delete: async (ctx, key) => this.live(ctx).delete(key),
    list: async (ctx, prefix, limit) =>
      [...this.live(ctx).keys()]
        .filter((k) => k.startsWith(prefix))
        .sort()
        .slice(0, limit),
  }

  sessions: HostApi["sessions"] = {
    list: async (_ctx, query) =>
      [...this.sessionsById.values()].filter(
        (s) =>
          (query.userId === undefined || s.userId === query.userId) &&
          (query.states === undefined || query.states.includes(s.state)),
      ),
    get: async (_ctx, id) => this.sessionsById.get(id) ?? null,
    usage: async (_ctx, userId) => {
      const active = [...this.sessionsById.values()].filter((s) => s.userId === userId && ACTIVE_STATES.includes(s.state))
      return {
        userId,
        active: active.length,
        cpu: active.reduce((sum, s) => sum + s.resources.cpu, 0),
        memory: active.reduce((sum, s) => sum + s.resources.memory, 0),
      }
    },
    hibernate: async (ctx, id) => this.moveSession(ctx, id, "hibernated", undefined),
    stop: async (ctx, id, reason) => this.moveSession(ctx, id, "stopped", reason),
    activity: async () =>
      [...this.sessionsById.values()]
        .filter((s) => s.state === "running")
        .map((s) => ({
          sessionId: s.id,
          userId: s.userId,
          templateId: s.templateId,
          templateName: s.templateName,
          startedAt: s.startedAt ?? s.updatedAt,
          runningSince: s.updatedAt,
          lastInputAt: s.lastActivityAt,
        })),
    warnIdle: async (_ctx, id, warning) => {
      this.idleWarnings.set(id, warning)
    },
    clearIdleWarning: async (_ctx, id) => {
      this.idleWarnings.delete(id)
    },
  }
  /** Warnings the plugin gave (the core turns them into events). */
  readonly idleWarnings = new Map<string, IdleWarning>()

  /** The test double settles at once where the core would pass through hibernating/stopping. */
  private moveSession(ctx: HostCallContext, id: string, to: SessionState, reason: string | undefined): Session {
    const session = this.sessionsById.get(id)
    if (session === undefined) throw new HostCallError("HOST_CALL_FAILED", `Session ${id} was not found.`)
    const via = to === "hibernated" ? "hibernating" : "stopping"
    if (!canTransition(session.state, via))
      throw new HostCallError("HOST_CALL_FAILED", `Session ${id} is ${session.state} and cannot be ${to}.`)
    const moved = { ...session, state: to, reason: reason ?? `${to} by plugin ${ctx.pluginId}` }
    this.sessionsById.set(id, moved)
    return moved
  }

  users: HostApi["users"] = {
    get: async (_ctx, id) => this.usersById.get(id) ?? null,
    lookup: async (_ctx, by) =>
      [...this.usersById.values()].find((u) => ("username" in by ? u.username === by.username : u.email === by.email)) ?? null,
    create: async (_ctx, input) => {
      this.assertUnique(input.username, input.email)
      const at = new Date(this.now()).toISOString()
      const user: User = {
        id: crypto.randomUUID(),
        username: input.username,
        email: input.email ?? null,
        displayName: input.displayName ?? input.username,
        role: input.role ?? "user",
        disabled: false,
        createdAt: at,
        updatedAt: at,
        lastSignInAt: null,
      }
      this.usersById.set(user.id, user)
      return user
    },
    update: async (_ctx, id, patch) => {
      const user = this.usersById.get(id)
      if (user === undefined) return null
      if (patch.email) this.assertUnique(undefined, patch.email, id)
      const updated: User = { ...user, ...patch, updatedAt: new Date(this.now()).toISOString() }
      this.usersById.set(id, updated)
      return updated
    },
  }

  /** The same uniqueness rules as the core's users table. */
  private assertUnique(username: string | undefined, email: string | null | undefined, except?: string): void {
    for (const u of this.usersById.values()) {
      if (u.id === except) continue
      if (u.username === username) throw new HostCallError("HOST_CALL_FAILED", `The username ${username} is taken.`)
      if (email && u.email === email) throw new HostCallError("HOST_CALL_FAILED", `The email ${email} belongs to another user.`)
    }
  }

  /** The plugins' own secrets (secrets.set), by install id, then by name; plain here, encrypted in the core. */
  readonly ownSecrets = new Map<string, Map<string, string>>()

  private ownOf(installId: string): Map<string, string> {
    const own = this.ownSecrets.get(installId) ?? new Map<string, string>()
    this.ownSecrets.set(installId, own)
    return own
  }

  secrets: HostApi["secrets"] = {
    get: async (ctx, name, owner) =>
      (owner === "admin" ? this.secretValues[ctx.installId]?.[name] : this.ownOf(ctx.installId).get(name)) ?? null,
    set: async (ctx, name, value, { maxSecrets }) => {
      const own = this.ownOf(ctx.installId)
      if (!own.has(name) && own.size >= maxSecrets)
        throw new HostCallError(
          "HOST_QUOTA_EXCEEDED",
          `This install keeps ${own.size} secrets already; its grant allows ${maxSecrets}.`,
        )
      own.set(name, value)
    },
    delete: async (ctx, name) => this.ownOf(ctx.installId).delete(name),
  }

  get http(): HostApi["http"] {
    return this.standard.http
  }
  get crypto(): HostApi["crypto"] {
    return this.standard.crypto
  }
  get clock(): HostApi["clock"] {
    return this.standard.clock
  }
}
