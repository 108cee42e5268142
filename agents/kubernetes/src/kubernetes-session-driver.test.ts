// The driver against a real kube-apiserver (+ controller-manager, scheduler) with the agent's own RBAC; pods go Ready by the fake kubelet.
import { afterAll, beforeAll, describe, expect, test } from "bun:test"
import { PatchStrategy, setHeaderOptions } from "@kubernetes/client-node"
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { kubeApis, loadKubeConfig } from "./kube-client.ts"
import { LABEL, homeClaimName, sessionObjectName } from "./naming.ts"
import { eventually } from "./testing/eventually.ts"
import { type SessionCluster, sessionSpec, startSessionCluster } from "./testing/session-cluster.ts"

let env: SessionCluster

beforeAll(async () => {
  env = await startSessionCluster()
}, 180_000)
afterAll(async () => {
  await env?.stop()
})

const gone = async (read: () => Promise<unknown>) => {
  const code = await read().then(
    () => 200,
    (e: { code?: number }) => e.code,
  )
  expect(code).toBe(404)
}

describe("KubernetesSessionDriver on a real apiserver (fake kubelet)", () => {
  test("create → Ready → hibernate → wake → stop with the agent's own RBAC; the home claim outlives the session", async () => {
    const { driver, ns } = await env.driver()
    const namespace = ns.sessionNamespace
    const spec = sessionSpec({ templateName: "firefox" })
    const name = sessionObjectName(spec.sessionId)

    expect(await driver.start(spec)).toEqual({ sessionId: spec.sessionId, state: "running" })
    const deployment = await env.admin.apps.readNamespacedDeployment({ name, namespace })
    expect(deployment.metadata?.labels).toMatchObject({
      [LABEL.session]: spec.sessionId,
      [LABEL.user]: spec.userId,
      [LABEL.template]: "firefox",
    })
    expect(deployment.spec?.replicas).toBe(1)
    expect(deployment.spec?.template.spec?.containers[0]?.resources?.limits).toEqual({ cpu: "500m", memory: "256Mi" })
    const policy = await env.admin.networking.readNamespacedNetworkPolicy({ name, namespace })
    expect(policy.spec?.ingress?.[0]?.ports).toEqual([{ protocol: "TCP", port: 5900 }])
    expect(policy.spec?.ingress?.[0]?._from?.[0]?.podSelector?.matchLabels).toEqual({
      "app.kubernetes.io/name": "streamspace-agent",
    })
    expect(policy.spec?.policyTypes).toEqual(["Ingress", "Egress"])
    const secret = await env.admin.core.readNamespacedSecret({ name, namespace })
    expect(secret.metadata?.ownerReferences?.[0]?.uid).toBe(deployment.metadata?.uid)
    const claim = homeClaimName("kubernetes", spec.userId, "firefox")
    expect((await env.admin.core.readNamespacedPersistentVolumeClaim({ name: claim, namespace })).metadata?.name).toBe(claim)

    const target = await driver.vncTarget(spec.sessionId)
    expect(target?.host).toMatch(/^10\.244\.\d+\.\d+$/)
    expect(target?.port).toBe(5900)
    expect(target?.password).toBe(Buffer.from(secret.data?.["vnc-password"] ?? "", "base64").toString())
    expect(target?.password).toHaveLength(8)

    expect(await driver.hibernate(spec.sessionId)).toEqual({ sessionId: spec.sessionId, state: "hibernated" })
    expect((await env.admin.apps.readNamespacedDeployment({ name, namespace })).spec?.replicas).toBe(0)
    expect((await env.admin.core.listNamespacedPod({ namespace })).items).toHaveLength(0)
    expect(await driver.status(spec.sessionId)).toEqual({ sessionId: spec.sessionId, state: "hibernated" })
    expect(await driver.vncTarget(spec.sessionId)).toBeNull()

    expect(await driver.wake(spec)).toEqual({ sessionId: spec.sessionId, state: "running" })
    expect((await driver.vncTarget(spec.sessionId))?.password).toBe(target?.password)

    expect(await driver.stop(spec.sessionId)).toEqual({ sessionId: spec.sessionId, state: "stopped" })
    // The garbage collector removes what the Deployment owned; the home claim is nobody's and stays.
    await eventually(async () => {
      await gone(() => env.admin.apps.readNamespacedDeployment({ name, namespace }))
      await gone(() => env.admin.core.readNamespacedSecret({ name, namespace }))
      await gone(() => env.admin.networking.readNamespacedNetworkPolicy({ name, namespace }))
      expect((await env.admin.core.listNamespacedPod({ namespace })).items).toHaveLength(0)
    }, 60_000)
    expect((await env.admin.core.readNamespacedPersistentVolumeClaim({ name: claim, namespace })).metadata?.name).toBe(claim)

    // The user's next session of that template mounts the same home.
    const next = sessionSpec({ userId: spec.userId, templateName: "firefox" })
    expect((await driver.start(next)).state).toBe("running")
    const claims = (await env.admin.core.listNamespacedPersistentVolumeClaim({ namespace })).items
    expect(claims.map((c) => c.metadata?.name)).toEqual([claim])
    expect(await driver.stop(next.sessionId)).toMatchObject({ state: "stopped" })
  })

  test("start waits for readiness by watch: it resolves only once the kubelet reports the pod Ready, and a retry creates nothing new", async () => {
    const { driver, ns } = await env.driver()
    const spec = sessionSpec()
    env.kubelet.paused = true
    let settled = false
    const started = driver.start(spec).finally(() => {
      settled = true
    })
    try {
      await eventually(async () => {
        const pods = await env.admin.core.listNamespacedPod({ namespace: ns.sessionNamespace })
        expect(pods.items[0]?.spec?.nodeName).toBe(env.kubelet.nodeName)
      }, 30_000)
      expect(settled).toBe(false)
      expect(await driver.status(spec.sessionId)).toEqual({ sessionId: spec.sessionId, state: "starting" })
    } finally {
      env.kubelet.release()
    }
    expect(await started).toEqual({ sessionId: spec.sessionId, state: "running" })
    expect(await driver.start(spec)).toEqual({ sessionId: spec.sessionId, state: "running" })
    const deployments = await env.admin.apps.listNamespacedDeployment({ namespace: ns.sessionNamespace })
    expect(deployments.items).toHaveLength(1)
    expect(await driver.capacity()).toEqual({ maxSessions: 50, runningSessions: 1 })
  })

  test("reconcile adopts known sessions, deletes Deployments no session owns and reports vanished sessions as failed", async () => {
    const { driver, ns } = await env.driver()
    const [kept, orphan] = [sessionSpec(), sessionSpec()]
    await Promise.all([driver.start(kept), driver.start(orphan)])
    const vanished = sessionSpec().sessionId
    const reports = await driver.reconcile([kept.sessionId, vanished])
    expect(reports).toContainEqual({ sessionId: kept.sessionId, state: "running" })
    expect(reports).toContainEqual({
      sessionId: orphan.sessionId,
      state: "stopped",
      reason: expect.stringContaining("no known session"),
    })
    expect(reports).toContainEqual({ sessionId: vanished, state: "failed", reason: expect.stringContaining("vanished") })
    await eventually(async () => {
      const names = (await env.admin.apps.listNamespacedDeployment({ namespace: ns.sessionNamespace })).items.map(
        (d) => d.metadata?.name,
      )
      expect(names).toEqual([sessionObjectName(kept.sessionId)])
    }, 30_000)
  })

  test("after reconcile, a Deployment of the agent's that no known session owns is removed from the watch", async () => {
    const { driver, ns } = await env.driver()
    const { driver: other } = await env.driver({}, ns)
    const known = sessionSpec()
    await driver.start(known)
    await driver.reconcile([known.sessionId])
    // Another process makes a Deployment with this agent's labels (a deposed replica, a hand-made copy).
    const stray = sessionSpec()
    // Its start never sees Ready (the Deployment is removed under it); the test does not wait for it.
    other.start(stray).catch(() => undefined)
    await eventually(async () => {
      const names = (await env.admin.apps.listNamespacedDeployment({ namespace: ns.sessionNamespace })).items.map(
        (d) => d.metadata?.name,
      )
      expect(names).toEqual([sessionObjectName(known.sessionId)])
    }, 30_000)
    // Sessions started after the reconcile are known: the watch leaves them alone.
    const later = sessionSpec()
    await driver.start(later)
    await Bun.sleep(500)
    expect((await driver.list()).map((r) => r.sessionId).sort()).toEqual([known.sessionId, later.sessionId].sort())
    other.close()
  })

  test("a Deployment deleted behind the agent's back is reported as failed, from the watch", async () => {
    const { driver, ns } = await env.driver()
    const spec = sessionSpec()
    await driver.start(spec)
    const reports: unknown[] = []
    driver.onVanished((r) => reports.push(r))
    await env.admin.apps.deleteNamespacedDeployment({ name: sessionObjectName(spec.sessionId), namespace: ns.sessionNamespace })
    await eventually(
      () => expect(reports).toEqual([{ sessionId: spec.sessionId, state: "failed", reason: expect.any(String) }]),
      30_000,
    )
    expect(await driver.list()).toEqual([])
  })

  test("a running session whose pod then crash-loops is reported failed once, from the watch, with the kubelet's reason", async () => {
    const { driver, ns } = await env.driver()
    const spec = sessionSpec()
    expect(await driver.start(spec)).toEqual({ sessionId: spec.sessionId, state: "running" })
    const reports: unknown[] = []
    driver.onVanished((r) => reports.push(r))
    const [pod] = (
      await env.admin.core.listNamespacedPod({
        namespace: ns.sessionNamespace,
        labelSelector: `${LABEL.session}=${spec.sessionId}`,
      })
    ).items
    const crashed = (restartCount: number) => ({
      status: {
        conditions: [{ type: "Ready", status: "False" }],
        containerStatuses: (pod?.spec?.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? "",
          imageID: c.image ?? "",
          ready: false,
          restartCount,
          state: { waiting: { reason: "CrashLoopBackOff", message: "back-off restarting failed container" } },
        })),
      },
    })
    // What a kubelet writes while a container keeps dying: several updates, one failure to report.
    for (const restarts of [1, 2, 3])
      await env.admin.core.patchNamespacedPodStatus(
        { name: pod?.metadata?.name ?? "", namespace: ns.sessionNamespace, body: crashed(restarts) },
        setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
      )
    await eventually(
      () =>
        expect(reports).toEqual([
          { sessionId: spec.sessionId, state: "failed", reason: expect.stringContaining("CrashLoopBackOff") },
        ]),
      30_000,
    )
    await Bun.sleep(300)
    expect(reports).toHaveLength(1)
    expect(await driver.status(spec.sessionId)).toMatchObject({ state: "failed" })
  })

  test("a verb missing from the RBAC manifest fails the command with KUBE_FORBIDDEN (no patch on deployments: no start)", async () => {
    const ns = await env.agentNamespaces({ resource: "deployments", verb: "patch" })
    const { driver } = await env.driver({}, ns)
    const failure = await driver.start(sessionSpec()).then(
      () => null,
      (e: { code?: string; retryable?: boolean; message?: string }) => e,
    )
    expect(failure?.code).toBe("KUBE_FORBIDDEN")
    expect(failure?.retryable).toBe(false)
    expect(failure?.message).toContain("rbac.yaml")
  })

  test("a session whose image cannot be pulled fails its start as soon as the watch says so, with the kubelet's reason", async () => {
    const { driver } = await env.driver({ readyTimeoutMs: 60_000 })
    const image = `registry.invalid/nothing-${crypto.randomUUID().slice(0, 8)}:1`
    env.kubelet.unpullable.add(image)
    const started = performance.now()
    const failure = await driver.start(sessionSpec({ image })).then(
      () => null,
      (e: { code?: string; message?: string }) => e,
    )
    expect(failure?.code).toBe("SESSION_FAILED")
    expect(failure?.message).toContain("ErrImagePull")
    expect(failure?.message).toContain("pull access denied")
    // Not the 60 s deadline: the pod's status arrived by watch and ended the wait.
    expect(performance.now() - started).toBeLessThan(30_000)
  })

  test("two agents racing to start one session end with one Deployment, one Secret and both reporting it running", async () => {
    const { driver: one, ns } = await env.driver()
    const { driver: two } = await env.driver({}, ns)
    const spec = sessionSpec()
    // The loser of the create gets 409, reads the winner's Deployment (the role's "get") and carries on.
    const both = await Promise.all([one.start(spec), two.start(spec)])
    expect(both).toEqual([
      { sessionId: spec.sessionId, state: "running" },
      { sessionId: spec.sessionId, state: "running" },
    ])
    const namespace = ns.sessionNamespace
    expect((await env.admin.apps.listNamespacedDeployment({ namespace })).items).toHaveLength(1)
    expect((await env.admin.core.listNamespacedSecret({ namespace })).items.filter((s) => s.type === "Opaque")).toHaveLength(1)
    expect((await one.vncTarget(spec.sessionId))?.password).toBe((await two.vncTarget(spec.sessionId))?.password)
  })

  test("the same race without the role's get on deployments fails the loser with KUBE_FORBIDDEN: the verb is needed", async () => {
    const ns = await env.agentNamespaces({ resource: "deployments", verb: "get" })
    const { driver: one } = await env.driver({}, ns)
    const { driver: two } = await env.driver({}, ns)
    const spec = sessionSpec()
    const outcomes = await Promise.all(
      [one, two].map((d) =>
        d.start(spec).then(
          (r) => r.state,
          (e: { code?: string }) => e.code,
        ),
      ),
    )
    expect(outcomes.sort()).toEqual(["KUBE_FORBIDDEN", "running"])
  })

  test("hibernating or stopping a session that has no Deployment: SESSION_NOT_FOUND, and stop is idempotent", async () => {
    const { driver } = await env.driver()
    const id = sessionSpec().sessionId
    const failure = await driver.hibernate(id).then(
      () => null,
      (e: { code?: string; message?: string }) => e,
    )
    expect(failure?.code).toBe("SESSION_NOT_FOUND")
    expect(failure?.message).toContain(id)
    expect(await driver.stop(id)).toEqual({ sessionId: id, state: "stopped" })
    expect(await driver.status(id)).toBeNull()
    const bad = await driver.stop("not-a-uuid").then(
      () => null,
      (e: { code?: string }) => e.code,
    )
    expect(bad).toBe("INVALID_SESSION_ID")
  })

  test("a follower refuses to change anything (NOT_LEADER, retryable) but still reads", async () => {
    const { driver } = await env.driver({ isLeader: () => false })
    const failure = await driver.start(sessionSpec()).then(
      () => null,
      (e: { code?: string; retryable?: boolean }) => e,
    )
    expect(failure).toMatchObject({ code: "NOT_LEADER", retryable: true })
    expect(await driver.list()).toEqual([])
  })

  test("in-cluster credentials (the pod's service-account files and KUBERNETES_SERVICE_*) work like a kubeconfig", async () => {
    const ns = await env.agentNamespaces()
    const root = mkdtempSync(join(tmpdir(), "in-cluster-"))
    const dir = join(root, "var/run/secrets/kubernetes.io/serviceaccount")
    mkdirSync(dir, { recursive: true })
    writeFileSync(join(dir, "token"), ns.token)
    writeFileSync(join(dir, "ca.crt"), env.cluster.caPem)
    writeFileSync(join(dir, "namespace"), ns.agentNamespace)
    const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT }
    try {
      delete process.env.KUBERNETES_SERVICE_HOST
      expect(() => loadKubeConfig(null, root)).toThrow(/not a pod/)
      const url = new URL(env.cluster.server)
      process.env.KUBERNETES_SERVICE_HOST = url.hostname
      process.env.KUBERNETES_SERVICE_PORT = url.port
      const kc = loadKubeConfig(null, root)
      const { driver } = await env.driver({ kubeConfig: kc, apis: kubeApis(kc) }, ns)
      const spec = sessionSpec()
      expect(await driver.start(spec)).toEqual({ sessionId: spec.sessionId, state: "running" })
      expect(await driver.stop(spec.sessionId)).toEqual({ sessionId: spec.sessionId, state: "stopped" })
    } finally {
      for (const [key, value] of [
        ["KUBERNETES_SERVICE_HOST", saved.host],
        ["KUBERNETES_SERVICE_PORT", saved.port],
      ] as const)
        if (value === undefined) delete process.env[key]
        else process.env[key] = value
      rmSync(root, { recursive: true, force: true })
    }
  })
})
