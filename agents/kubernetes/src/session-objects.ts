// The driver's Kubernetes calls for one namespace: each is one request, bounded by a deadline and mapped to a DriverError.
import type { AppsV1Api, CoreV1Api, NetworkingV1Api, V1Deployment, V1OwnerReference } from "@kubernetes/client-node"
import { randomBytes } from "node:crypto"
import type { SessionSpec } from "@streamspace/schemas"
import { DriverError, fromKube } from "./errors.ts"
import { deploymentFor, homeClaimFor, networkPolicyFor, type ObjectPlan, VNC_SECRET_KEY, vncSecretFor } from "./objects.ts"
import { ownedSelector, sessionObjectName } from "./naming.ts"

export interface KubeApis {
  apps: AppsV1Api
  core: CoreV1Api
  networking: NetworkingV1Api
}

export class SessionObjects {
  constructor(
    private readonly api: KubeApis,
    private readonly plan: ObjectPlan,
    /** A call that has not answered by then fails as retryable: a slow apiserver must not hang a command for ever. */
    private readonly callTimeoutMs: number,
  ) {}

  get namespace(): string {
    return this.plan.namespace
  }

  /**
   * A new session: home claim (kept if it exists), the Deployment at zero replicas, then the VNC
   * Secret and NetworkPolicy owned by it (the garbage collector deletes them with it), then one replica.
   */
  async create(spec: SessionSpec): Promise<void> {
    await this.createIgnoringConflict("creating the home claim", () =>
      this.api.core.createNamespacedPersistentVolumeClaim({ namespace: this.namespace, body: homeClaimFor(spec, this.plan) }),
    )
    const body = deploymentFor(spec, this.plan)
    body.spec = { ...body.spec!, replicas: 0 }
    let deployment: V1Deployment
    try {
      deployment = await this.call("creating the Deployment", () =>
        this.api.apps.createNamespacedDeployment({ namespace: this.namespace, body }),
      )
    } catch (err) {
      if (codeOf(err) !== "KUBE_CONFLICT") throw err
      deployment = await this.call("reading the Deployment", () =>
        this.api.apps.readNamespacedDeployment({ name: sessionObjectName(spec.sessionId), namespace: this.namespace }),
      )
    }
    await this.ensureOwned(spec, deployment)
    await this.scale(spec.sessionId, 1)
  }

  /** The Secret and NetworkPolicy of a Deployment that exists (an interrupted start, a wake). */
  async ensureOwned(spec: SessionSpec, deployment: V1Deployment): Promise<void> {
    const owner: V1OwnerReference = {
      apiVersion: "apps/v1",
      kind: "Deployment",
      name: deployment.metadata?.name ?? sessionObjectName(spec.sessionId),
      uid: deployment.metadata?.uid ?? "",
    }
    const secret = vncSecretFor(spec, this.plan, newVncPassword())
    secret.metadata = { ...secret.metadata, ownerReferences: [owner] }
    const policy = networkPolicyFor(spec, this.plan)
    policy.metadata = { ...policy.metadata, ownerReferences: [owner] }
    await Promise.all([
      this.createIgnoringConflict("creating the VNC Secret", () =>
        this.api.core.createNamespacedSecret({ namespace: this.namespace, body: secret }),
      ),
      this.createIgnoringConflict("creating the NetworkPolicy", () =>
        this.api.networking.createNamespacedNetworkPolicy({ namespace: this.namespace, body: policy }),
      ),
    ])
  }

  async scale(sessionId: string, replicas: 0 | 1): Promise<void> {
    await this.call(replicas === 0 ? "scaling the session to 0 (hibernate)" : "scaling the session to 1", () =>
      this.api.apps.patchNamespacedDeployment({
        name: sessionObjectName(sessionId),
        namespace: this.namespace,
        // JSON Patch: client-node's default patch type, and a test of the field it replaces.
        body: [{ op: "replace", path: "/spec/replicas", value: replicas }],
      }),
    )
  }

  /**
   * Deletes the Deployment; its pods, Secret and NetworkPolicy go with it (owner references), the home claim stays.
   * False when there was nothing to delete.
   */
  async delete(sessionId: string): Promise<boolean> {
    try {
      await this.call("deleting the session's Deployment", () =>
        this.api.apps.deleteNamespacedDeployment({
          name: sessionObjectName(sessionId),
          namespace: this.namespace,
          propagationPolicy: "Background",
        }),
      )
      return true
    } catch (err) {
      if (codeOf(err) !== "SESSION_NOT_FOUND") throw err
      return false
    }
  }

  async readVncPassword(sessionId: string): Promise<string | null> {
    try {
      const secret = await this.call("reading the session's VNC Secret", () =>
        this.api.core.readNamespacedSecret({ name: sessionObjectName(sessionId), namespace: this.namespace }),
      )
      const value = secret.data?.[VNC_SECRET_KEY]
      return value ? Buffer.from(value, "base64").toString("utf8") : null
    } catch (err) {
      if (codeOf(err) === "SESSION_NOT_FOUND") return null
      throw err
    }
  }

  listDeployments() {
    return this.call("listing sessions", () =>
      this.api.apps.listNamespacedDeployment({ namespace: this.namespace, labelSelector: ownedSelector(this.plan.agentName) }),
    )
  }

  listPods() {
    return this.call("listing session pods", () =>
      this.api.core.listNamespacedPod({ namespace: this.namespace, labelSelector: ownedSelector(this.plan.agentName) }),
    )
  }

  private async createIgnoringConflict(doing: string, create: () => Promise<unknown>): Promise<void> {
    try {
      await this.call(doing, create)
    } catch (err) {
      // Already there (a retried start, a home from an earlier session): that is what we wanted.
      if (codeOf(err) !== "KUBE_CONFLICT") throw err
    }
  }

  async call<T>(doing: string, request: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new DriverError(
              "KUBE_UNAVAILABLE",
              `The Kubernetes API did not answer within ${this.callTimeoutMs} ms while ${doing}.`,
              true,
            ),
          ),
        this.callTimeoutMs,
      )
    })
    try {
      return await Promise.race([request(), late])
    } catch (err) {
      throw fromKube(err, doing)
    } finally {
      clearTimeout(timer)
    }
  }
}

/**
 * 8 characters: VNC authentication (DES) reads only the first 8 bytes of a password. Random per
 * session and kept only in the session's Secret, which the pod reads and the agent reads back.
 */
export const newVncPassword = (): string => randomBytes(6).toString("base64url")

const codeOf = (err: unknown): string | undefined => (err instanceof DriverError ? err.code : undefined)
