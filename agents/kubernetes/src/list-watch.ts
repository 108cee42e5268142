// A cache of one kind of object kept current by LIST then WATCH, surviving dropped watches, silent
// connections and 410 Gone (then it lists again and reports what changed meanwhile).
import type { Watch } from "@kubernetes/client-node"
import type { Logger } from "pino"
import { type BackoffOptions, backoffDelay } from "@streamspace/agent-runtime"
import { kubeMessage } from "./errors.ts"

export interface KubeObject {
  metadata?: { name?: string; resourceVersion?: string; labels?: Record<string, string> }
}

export type ChangeType = "added" | "modified" | "deleted"
export type ChangeListener<T> = (type: ChangeType, object: T) => void

export interface ListWatchOptions<T extends KubeObject> {
  /** For logs: "pods", "deployments". */
  kind: string
  /** API path of the collection, e.g. /api/v1/namespaces/ns/pods. */
  path: string
  labelSelector?: string
  fieldSelector?: string
  list: () => Promise<{ items: T[]; metadata?: { resourceVersion?: string } }>
  watch: Watch
  log: Logger
  /** The server ends each watch after this many seconds; the cache then watches on from where it was. */
  watchTimeoutSeconds?: number
  /** A watch that brings nothing (not even a bookmark) for this long past its timeout is taken as dead. */
  idleGraceMs?: number
  backoff?: BackoffOptions
}

const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 100, maxMs: 5_000 }

export class ListWatch<T extends KubeObject> {
  private readonly items = new Map<string, T>()
  private readonly listeners = new Set<ChangeListener<T>>()
  private resourceVersion = ""
  private running = false
  private controller: AbortController | null = null
  private idle: ReturnType<typeof setTimeout> | null = null
  private retry: ReturnType<typeof setTimeout> | null = null
  private failures = 0
  /** Each watch gets a number; callbacks of a watch that was replaced are ignored. */
  private generation = 0
  /** Counts LISTs (the first one and every relist after 410 Gone or a failure): tests and logs read it. */
  lists = 0
  private synced!: () => void
  /** Resolves after the first successful LIST. */
  readonly ready = new Promise<void>((resolve) => {
    this.synced = resolve
  })

  constructor(private readonly options: ListWatchOptions<T>) {}

  start(): Promise<void> {
    if (!this.running) {
      this.running = true
      void this.relist()
    }
    return this.ready
  }

  stop(): void {
    this.running = false
    this.clearTimers()
    this.controller?.abort()
    this.controller = null
  }

  get(name: string): T | undefined {
    return this.items.get(name)
  }

  values(): T[] {
    return [...this.items.values()]
  }

  onChange(listener: ChangeListener<T>): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private async relist(): Promise<void> {
    if (!this.running) return
    try {
      const list = await this.options.list()
      if (!this.running) return
      this.lists++
      this.replace(list.items)
      this.resourceVersion = list.metadata?.resourceVersion ?? ""
      this.failures = 0
      this.synced()
      void this.watch()
    } catch (err) {
      this.options.log.warn({ kind: this.options.kind, err: kubeMessage(err) }, "list failed; retrying")
      this.later(() => this.relist())
    }
  }

  /** A fresh list replaces the cache; what changed meanwhile is told to listeners as if watched. */
  private replace(fresh: T[]): void {
    const seen = new Set<string>()
    for (const object of fresh) {
      const name = object.metadata?.name
      if (!name) continue
      seen.add(name)
      const old = this.items.get(name)
      this.items.set(name, object)
      if (!old) this.emit("added", object)
      else if (old.metadata?.resourceVersion !== object.metadata?.resourceVersion) this.emit("modified", object)
    }
    for (const [name, object] of this.items) {
      if (seen.has(name)) continue
      this.items.delete(name)
      this.emit("deleted", object)
    }
  }

  private async watch(): Promise<void> {
    if (!this.running) return
    const generation = ++this.generation
    const timeout = this.options.watchTimeoutSeconds ?? 300
    // Called once per watch, by whichever comes first: the stream's end, a refusal, an ERROR event, silence.
    const ended = (err: unknown, gone = false) => {
      if (generation !== this.generation || !this.running) return
      this.generation++
      this.clearTimers()
      this.controller?.abort()
      this.controller = null
      const status = (err as { statusCode?: number } | null)?.statusCode
      if (gone || status === 410) {
        this.options.log.info({ kind: this.options.kind }, "watch expired (410 Gone); listing again")
        return this.later(() => this.relist(), 0)
      }
      if (err) this.options.log.warn({ kind: this.options.kind, err: kubeMessage(err) }, "watch failed; watching again")
      // A clean end (the server's timeout) resumes at once; a failure backs off.
      this.later(() => this.watch(), err ? undefined : 0)
    }
    // Armed before the request: a watch whose answer never even starts is as dead as a silent one.
    this.armIdle(generation, timeout, ended)
    const controller = await this.options.watch
      .watch(
        this.options.path,
        {
          labelSelector: this.options.labelSelector,
          fieldSelector: this.options.fieldSelector,
          resourceVersion: this.resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: timeout,
        },
        (type: string, object: T) => {
          if (generation !== this.generation) return
          this.armIdle(generation, timeout, ended)
          // ERROR is the server's way to say 410 Gone (or another failure) inside a healthy HTTP stream:
          // either way the resourceVersion cannot be trusted, so list again.
          if (type === "ERROR") return ended(null, true)
          this.apply(type, object)
        },
        (err: unknown) => ended(err),
      )
      .catch((err: unknown) => {
        ended(err)
        return null
      })
    if (!controller) return
    if (generation !== this.generation || !this.running) {
      controller.abort()
      return
    }
    this.controller = controller
  }

  private apply(type: string, object: T): void {
    this.failures = 0
    const rv = object.metadata?.resourceVersion
    if (rv) this.resourceVersion = rv
    const name = object.metadata?.name
    if (type === "BOOKMARK" || !name) return
    if (type === "DELETED") {
      this.items.delete(name)
      this.emit("deleted", object)
      return
    }
    const had = this.items.has(name)
    this.items.set(name, object)
    this.emit(had ? "modified" : "added", object)
  }

  private armIdle(generation: number, timeoutSeconds: number, ended: (err: unknown) => void): void {
    if (this.idle) clearTimeout(this.idle)
    const ms = timeoutSeconds * 1000 + (this.options.idleGraceMs ?? 15_000)
    this.idle = setTimeout(() => {
      if (generation === this.generation) ended(new Error(`the watch brought nothing for ${ms} ms`))
    }, ms)
  }

  private later(step: () => Promise<void> | void, ms?: number): void {
    if (!this.running) return
    const delay = ms ?? backoffDelay(this.failures++, this.options.backoff ?? DEFAULT_BACKOFF)
    if (this.retry) clearTimeout(this.retry)
    this.retry = setTimeout(() => {
      this.retry = null
      void step()
    }, delay)
  }

  private clearTimers(): void {
    if (this.idle) clearTimeout(this.idle)
    if (this.retry) clearTimeout(this.retry)
    this.idle = null
    this.retry = null
  }

  private emit(type: ChangeType, object: T): void {
    for (const listener of this.listeners) {
      try {
        listener(type, object)
      } catch (err) {
        this.options.log.error({ err, kind: this.options.kind }, "a watch listener threw")
      }
    }
  }
}
