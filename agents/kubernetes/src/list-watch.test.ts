import { afterEach, expect, test } from "bun:test"
import { CoreV1Api, type V1Pod, Watch } from "@kubernetes/client-node"
import pino from "pino"
import { type ChangeType, ListWatch } from "./list-watch.ts"
import { SessionObjects } from "./session-objects.ts"
import { eventually } from "./testing/eventually.ts"
import { FakeApiserver, pod, podList } from "./testing/fake-apiserver.ts"

const log = pino({ level: "silent" })
let fake: FakeApiserver
let cache: ListWatch<V1Pod> | undefined

afterEach(() => {
  cache?.stop()
  fake?.stop()
})

function podCache(options: { watchTimeoutSeconds?: number; idleGraceMs?: number } = {}) {
  const kc = fake.kubeConfig()
  const core = kc.makeApiClient(CoreV1Api)
  const changes: [ChangeType, string][] = []
  cache = new ListWatch<V1Pod>({
    kind: "pods",
    path: "/api/v1/namespaces/ns/pods",
    labelSelector: "app=x",
    list: () => core.listNamespacedPod({ namespace: "ns", labelSelector: "app=x" }),
    watch: new Watch(kc),
    log,
    backoff: { initialMs: 10, maxMs: 50 },
    ...options,
  })
  cache.onChange((type, p) => changes.push([type, p.metadata?.name ?? ""]))
  return { cache, changes }
}

test("a LIST answered 500, then 429, is retried until it succeeds (fake apiserver)", async () => {
  fake = new FakeApiserver()
  fake.listAnswers = [
    { status: 500, body: { kind: "Status", code: 500, message: "etcd leader changed" } },
    { status: 429, body: { kind: "Status", code: 429, message: "too many requests" } },
    { status: 200, body: podList("10", ["a", "b"]) },
  ]
  const { cache } = podCache()
  await cache.start()
  expect(
    cache
      .values()
      .map((p) => p.metadata?.name)
      .sort(),
  ).toEqual(["a", "b"])
  expect(fake.lists()).toHaveLength(3)
  await eventually(() => expect(fake.watches()[0]?.resourceVersion).toBe("10"))
})

test("a watch cut mid-stream resumes from the last resourceVersion seen, without listing again (fake apiserver)", async () => {
  fake = new FakeApiserver()
  fake.listAnswers = [{ status: 200, body: podList("10", ["a"]) }]
  const { cache, changes } = podCache()
  await cache.start()
  await eventually(() => expect(fake.openWatches).toBe(1))
  fake.event("ADDED", pod("b", "11"))
  fake.event("MODIFIED", pod("a", "12"))
  await eventually(() =>
    expect(changes).toEqual([
      ["added", "a"],
      ["added", "b"],
      ["modified", "a"],
    ]),
  )
  fake.cut()
  await eventually(() => expect(fake.watches()).toHaveLength(2))
  expect(fake.watches()[1]?.resourceVersion).toBe("12")
  expect(fake.lists()).toHaveLength(1)
  await eventually(() => expect(fake.openWatches).toBe(1))
  fake.event("DELETED", pod("b", "13"))
  await eventually(() => expect(cache.get("b")).toBeUndefined())
})

test("410 Gone inside the watch stream makes it list again, and what changed meanwhile reaches the listeners (fake apiserver)", async () => {
  fake = new FakeApiserver()
  fake.listAnswers = [
    { status: 200, body: podList("10", ["a", "b"]) },
    { status: 200, body: podList("50", ["b", "c"]) },
  ]
  const { cache, changes } = podCache()
  await cache.start()
  await eventually(() => expect(fake.openWatches).toBe(1))
  fake.event("ERROR", {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    code: 410,
    reason: "Expired",
    message: "too old resource version",
  })
  await eventually(() => expect(cache.lists).toBe(2))
  expect(
    cache
      .values()
      .map((p) => p.metadata?.name)
      .sort(),
  ).toEqual(["b", "c"])
  expect(changes).toContainEqual(["deleted", "a"])
  expect(changes).toContainEqual(["added", "c"])
  await eventually(() => expect(fake.watches().at(-1)?.resourceVersion).toBe("50"))
})

test("a watch request refused with HTTP 410 lists again; one refused with 500 backs off and watches again (fake apiserver)", async () => {
  fake = new FakeApiserver()
  fake.listAnswers = [{ status: 200, body: podList("10", ["a"]) }]
  fake.watchStatuses = [500, 410]
  const { cache } = podCache()
  await cache.start()
  await eventually(() => expect(cache.lists).toBe(2))
  await eventually(() => expect(fake.openWatches).toBe(1))
  expect(fake.watches().map((w) => w.resourceVersion)).toEqual(["10", "10", "10"])
})

test("a watch that goes silent past its timeout (here: never answers) is abandoned and opened again (fake apiserver)", async () => {
  fake = new FakeApiserver()
  fake.listAnswers = [{ status: 200, body: podList("10", ["a"]) }]
  const { cache } = podCache({ watchTimeoutSeconds: 1, idleGraceMs: 200 })
  await cache.start()
  await eventually(() => expect(fake.watches().length).toBeGreaterThanOrEqual(2), 10_000)
  expect(fake.lists()).toHaveLength(1)
})

test("an API call slower than its deadline fails as KUBE_UNAVAILABLE, retryable (fake apiserver)", async () => {
  fake = new FakeApiserver()
  fake.listAnswers = [{ delayMs: 2_000, status: 200, body: podList("10", []) }]
  const kc = fake.kubeConfig()
  const { AppsV1Api, NetworkingV1Api } = await import("@kubernetes/client-node")
  const objects = new SessionObjects(
    { apps: kc.makeApiClient(AppsV1Api), core: kc.makeApiClient(CoreV1Api), networking: kc.makeApiClient(NetworkingV1Api) },
    { agentName: "k", namespace: "ns", homeSize: "1Gi", agentPodLabels: { a: "b" } },
    200,
  )
  const failure = await objects.listPods().then(
    () => null,
    (e: unknown) => e as { code: string; retryable: boolean; message: string },
  )
  expect(failure?.code).toBe("KUBE_UNAVAILABLE")
  expect(failure?.retryable).toBe(true)
  expect(failure?.message).toContain("within 200 ms")
})
