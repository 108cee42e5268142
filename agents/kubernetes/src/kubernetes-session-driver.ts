// SessionDriver on Kubernetes: each session is a one-replica Deployment (+ home claim, VNC Secret,
import { KeyedLock } from "../../runtime/src/keyed-lock.ts"
// NetworkPolicy) in one namespace; state comes from watched caches of the agent's Deployments and pods.
import { type V1Deployment, type V1Pod, Watch } from "@kubernetes/client-node"
import type { Capacity, SessionReport, SessionSpec } from "@streamspace/schemas"
import type { Logger } from "pino"
import type { SessionDriver, VncTarget } from "../../runtime/src/session-driver.ts"
import { DriverError } from "./errors.ts"
import { checkSessionId, checkSpec } from "./input-checks.ts"
import { ListWatch } from "./list-watch.ts"
import { LABEL, VNC_PORT_ANNOTATION, ownedSelector, sessionObjectName } from "./naming.ts"
import type { ObjectPlan } from "./objects.ts"
import { currentPod, judgePod, reportFor } from "./pod-state.ts"
import { type KubeApis, SessionObjects } from "./session-objects.ts"
import type { KubeConfig } from "@kubernetes/client-node"

/** Where the agent dials a ready pod's VNC server. Default: the pod IP. Tests inject a loopback server. */
export type PodAddressResolver = (pod: V1Pod, vncPort: number) => { host: string; port: number }

export interface KubernetesSessionDriverOptions extends ObjectPlan {
  kubeConfig: KubeConfig
  apis: KubeApis
  log: Logger
  maxSessions: number
  /** How long start and wake wait for the pod to be Ready. */
  readyTimeoutMs?: number
  /** Deadline of one API call. */
  callTimeoutMs?: number
  /** The server ends a watch after this long; the cache resumes from where it was. */
  watchTimeoutSeconds?: number
  /** Whether this replica leads; a follower refuses commands that change anything. Default: always. */
  isLeader?: () => boolean
  resolvePodAddress?: PodAddressResolver
}

export class KubernetesSessionDriver implements SessionDriver {
  readonly platform = "kubernetes" as const
  readonly deployments: ListWatch<V1Deployment>
  readonly pods: ListWatch<V1Pod>
  private readonly objects: SessionObjects
  private readonly lock = new KeyedLock()
  private readonly waiters = new Map<string, Set<() => void>>()
  private readonly passwords = new Map<string, string>()
  /** Sessions this agent is deleting: their Deployment's disappearance is news to nobody. */
  private readonly stopping = new Set<string>()
  private readonly vanishedListeners = new Set<(report: SessionReport) => void>()
  /** Sessions whose failure this agent has pushed already: a crash loop's many pod updates are one report. */
  private readonly reportedFailed = new Set<string>()
  /**
   * Sessions the control plane knows, from the last reconcile plus those started since; null until
   * the first reconcile, so nothing is judged an orphan before the agent has heard the control plane.
   */
  private known: Set<string> | null = null
  private readonly readyTimeoutMs: number
  private readonly isLeader: () => boolean
  private readonly resolve: PodAddressResolver

  constructor(private readonly options: KubernetesSessionDriverOptions) {
    if (!Number.isInteger(options.maxSessions) || options.maxSessions < 0)
      throw new DriverError("INVALID_OPTIONS", `maxSessions must be a whole number >= 0, got ${options.maxSessions}.`)
    this.objects = new SessionObjects(options.apis, options, options.callTimeoutMs ?? 15_000)
    this.readyTimeoutMs = options.readyTimeoutMs ?? 120_000
    this.isLeader = options.isLeader ?? (() => true)
    this.resolve = options.resolvePodAddress ?? ((pod, port) => ({ host: pod.status?.podIP ?? "", port }))
    const watch = new Watch(options.kubeConfig)
    const ns = encodeURIComponent(options.namespace)
    const common = {
      labelSelector: ownedSelector(options.agentName),
      watch,
      log: options.log,
      watchTimeoutSeconds: options.watchTimeoutSeconds,
    }
    this.deployments = new ListWatch<V1Deployment>({
      ...common,
      kind: "deployments",
      path: `/apis/apps/v1/namespaces/${ns}/deployments`,
      list: () => this.objects.listDeployments(),
    })
    this.pods = new ListWatch<V1Pod>({
      ...common,
      kind: "pods",
      path: `/api/v1/namespaces/${ns}/pods`,
      list: () => this.objects.listPods(),
    })
    this.deployments.onChange((type, d) => this.deploymentChanged(type, d))
    this.pods.onChange((_, pod) => {
      const id = sessionOf(pod)
      this.notify(id)
      if (id) this.podChanged(id)
    })
  }

  /** Lists and starts watching; resolves once both caches hold the cluster's state. */
  async open(): Promise<void> {
    await Promise.all([this.deployments.start(), this.pods.start()])
  }

  close(): void {
    this.deployments.stop()
    this.pods.stop()
  }

  /** A session's workload disappeared or failed without being asked to, seen by the watch (reported to the control plane by the caller). */
  onVanished(listener: (report: SessionReport) => void): () => void {
    this.vanishedListeners.add(listener)
    return () => this.vanishedListeners.delete(listener)
  }

  async start(spec: SessionSpec): Promise<SessionReport> {
    this.mustLead("start a session")
    const checked = checkSpec(spec)
    return this.lock.run(checked.sessionId, () => this.startLocked(checked))
  }

  /** Same path as start: a Deployment at zero replicas is scaled to one, a vanished one recreated (the home claim kept the files). */
  async wake(spec: SessionSpec): Promise<SessionReport> {
    return this.start(spec)
  }

  async hibernate(sessionId: string): Promise<SessionReport> {
    this.mustLead("hibernate a session")
    const id = checkSessionId(sessionId)
    return this.lock.run(id, async () => {
      await this.ready()
      // The API decides, not the cache: a Deployment created a moment ago may not have reached the watch yet.
      await this.objects.scale(id, 0).catch((err: unknown) => {
        throw err instanceof DriverError && err.code === "SESSION_NOT_FOUND" ? notFound(id) : err
      })
      // Hibernated means the compute is released: wait (by watch) until the pod is gone.
      await this.waitFor(id, "hibernate", () => (this.podsOf(id).length === 0 ? true : undefined))
      return { sessionId: id, state: "hibernated" }
    })
  }

  async stop(sessionId: string): Promise<SessionReport> {
    this.mustLead("stop a session")
    const id = checkSessionId(sessionId)
    return this.lock.run(id, async () => {
      this.known?.delete(id)
      this.stopping.add(id)
      try {
        // Nothing was there: no DELETED event will come to clear the mark.
        if (!(await this.objects.delete(id))) this.stopping.delete(id)
      } catch (err) {
        this.stopping.delete(id)
        throw err
      }
      this.passwords.delete(id)
      return { sessionId: id, state: "stopped" }
    })
  }

  async status(sessionId: string): Promise<SessionReport | null> {
    const id = checkSessionId(sessionId)
    await this.ready()
    const deployment = this.deployments.get(sessionObjectName(id))
    return deployment ? reportFor(id, deployment, this.podsOf(id)) : null
  }

  async list(): Promise<SessionReport[]> {
    await this.ready()
    return this.deployments
      .values()
      .filter((d) => !this.stopping.has(sessionOfDeployment(d)))
      .map((d) => reportFor(sessionOfDeployment(d), d, this.podsOf(sessionOfDeployment(d))))
  }

  async reconcile(known: readonly string[]): Promise<SessionReport[]> {
    await this.ready()
    const wanted = new Set(known)
    const reports: SessionReport[] = []
    const found = new Set<string>()
    for (const d of this.deployments.values()) {
      const id = sessionOfDeployment(d)
      if (!id || this.stopping.has(id)) continue
      found.add(id)
      if (wanted.has(id)) {
        reports.push(reportFor(id, d, this.podsOf(id)))
        continue
      }
      // Nobody knows this session any more: only the leader removes what it holds.
      if (!this.isLeader()) continue
      await this.stop(id)
      reports.push({ sessionId: id, state: "stopped", reason: "removed: no known session owns this Deployment" })
    }
    this.known = wanted
    for (const id of wanted)
      if (!found.has(id))
        reports.push({ sessionId: id, state: "failed", reason: "the session's Deployment vanished from the cluster" })
    return reports
  }

  async capacity(): Promise<Capacity> {
    await this.ready()
    const running = this.deployments.values().filter((d) => (d.spec?.replicas ?? 0) > 0).length
    return { maxSessions: this.options.maxSessions, runningSessions: running }
  }

  async vncTarget(sessionId: string): Promise<VncTarget | null> {
    const id = checkSessionId(sessionId)
    await this.ready()
    const deployment = this.deployments.get(sessionObjectName(id))
    const pod = currentPod(this.podsOf(id))
    if (!deployment || !pod || judgePod(pod).state !== "ready") return null
    const port = Number(deployment.metadata?.annotations?.[VNC_PORT_ANNOTATION] ?? 5900)
    const password = this.passwords.get(id) ?? (await this.objects.readVncPassword(id))
    if (!password) return null
    this.passwords.set(id, password)
    return { ...this.resolve(pod, port), password }
  }

  private async startLocked(spec: SessionSpec): Promise<SessionReport> {
    const id = spec.sessionId
    // Known before its Deployment exists, so the watch never takes it for an orphan.
    this.known?.add(id)
    await this.ready()
    this.stopping.delete(id)
    const deployment = this.deployments.get(sessionObjectName(id))
    if (!deployment) await this.objects.create(spec)
    else if ((deployment.spec?.replicas ?? 0) === 0) {
      await this.objects.ensureOwned(spec, deployment)
      await this.objects.scale(id, 1)
    }
    await this.waitFor(id, "become Ready", () => {
      const pod = currentPod(this.podsOf(id))
      const verdict = pod ? judgePod(pod) : undefined
      if (verdict?.state === "failed")
        throw new DriverError("SESSION_FAILED", `Session ${id} failed to start: ${verdict.reason}.`)
      return verdict?.state === "ready" ? true : undefined
    })
    return { sessionId: id, state: "running" }
  }

  /** Resolves when `check` gives a value, re-checked on every watch event of the session (no polling). */
  private waitFor<T>(sessionId: string, what: string, check: () => T | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiters = this.waiters.get(sessionId) ?? new Set()
      this.waiters.set(sessionId, waiters)
      const done = () => {
        clearTimeout(timer)
        waiters.delete(poke)
        if (waiters.size === 0) this.waiters.delete(sessionId)
      }
      const poke = () => {
        try {
          const value = check()
          if (value === undefined) return
          done()
          resolve(value)
        } catch (err) {
          done()
          reject(err)
        }
      }
      const timer = setTimeout(() => {
        done()
        reject(new DriverError("READY_TIMEOUT", `Session ${sessionId} did not ${what} within ${this.readyTimeoutMs} ms.`, true))
      }, this.readyTimeoutMs)
      waiters.add(poke)
      poke()
    })
  }

  private notify(sessionId: string | undefined): void {
    if (!sessionId) return
    for (const poke of [...(this.waiters.get(sessionId) ?? [])]) poke()
  }

  private deploymentChanged(type: string, deployment: V1Deployment): void {
    const id = sessionOfDeployment(deployment)
    this.notify(id)
    if (type === "added" && id) this.removeIfOrphan(id)
    if (type !== "deleted" || !id) return
    this.passwords.delete(id)
    this.reportedFailed.delete(id)
    if (this.stopping.delete(id) || !this.isLeader()) return
    const report: SessionReport = {
      sessionId: id,
      state: "failed",
      reason: "the session's Deployment was deleted outside StreamSpace",
    }
    for (const listener of this.vanishedListeners) listener(report)
  }

  /**
   * A session that ran and whose pod then failed (a crash loop, out of memory, evicted) is reported
   * from the watch at once, not at the next heartbeat. Failures during a start, wake or hibernate are
   * that command's answer (it is waiting on the watch too); a stop's are nobody's news.
   */
  private podChanged(id: string): void {
    if (!this.isLeader() || this.stopping.has(id) || this.waiters.has(id)) return
    const deployment = this.deployments.get(sessionObjectName(id))
    const report = deployment && reportFor(id, deployment, this.podsOf(id))
    if (report?.state !== "failed") {
      this.reportedFailed.delete(id)
      return
    }
    if (this.reportedFailed.has(id)) return
    this.reportedFailed.add(id)
    for (const listener of this.vanishedListeners) listener(report)
  }

  /** A Deployment of ours appeared that no known session owns (made by hand, or by a deposed replica): remove it. */
  private removeIfOrphan(id: string): void {
    if (!this.known || this.known.has(id) || this.stopping.has(id) || !this.isLeader()) return
    this.options.log.warn({ sessionId: id }, "removing a Deployment that no known session owns")
    this.stop(id).catch((err: unknown) =>
      this.options.log.error({ err, sessionId: id }, "could not remove a Deployment that no known session owns"),
    )
  }

  private podsOf(sessionId: string): V1Pod[] {
    return this.pods.values().filter((p) => sessionOf(p) === sessionId)
  }

  private ready(): Promise<void> {
    return Promise.all([this.deployments.ready, this.pods.ready]).then(() => {})
  }

  private mustLead(doing: string): void {
    if (!this.isLeader())
      throw new DriverError(
        "NOT_LEADER",
        `This agent replica does not hold the lease, so it may not ${doing}; the leader will.`,
        true,
      )
  }
}

const sessionOf = (o: { metadata?: { labels?: Record<string, string> } }): string | undefined =>
  o.metadata?.labels?.[LABEL.session]
const sessionOfDeployment = (d: V1Deployment): string => sessionOf(d) ?? ""

const notFound = (id: string) =>
  new DriverError("SESSION_NOT_FOUND", `Session ${id} has no Deployment in this namespace; start it again.`)
