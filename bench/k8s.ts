// bench:k8s — the Kubernetes agent on a real kube-apiserver (+ controller-manager, scheduler) with the fake kubelet:
//   1. session create → Ready through the driver (claim, Deployment at 0, Secret, NetworkPolicy, scale, watch),
//      1 at a time and 20 at once, beside a bare Pod created and watched to Ready in the same run;
//   2. leader failover: SIGKILL of the leading agent process → the follower announces leadership, with the
//      default timings (3 s / 1 s / 0.5 s) and, as the baseline, client-go's defaults (15 s / 10 s / 2 s).
// Usage: bun run bench:k8s [--rounds N]
import { ListWatch } from "../agents/kubernetes/src/list-watch.ts"
import { judgePod } from "../agents/kubernetes/src/pod-state.ts"
import { startAgentReplica, type AgentReplica } from "../agents/kubernetes/src/testing/agent-replica.ts"
import { eventually } from "../agents/kubernetes/src/testing/eventually.ts"
import { sessionSpec, startSessionCluster } from "../agents/kubernetes/src/testing/session-cluster.ts"

const rounds = Number(process.argv[process.argv.indexOf("--rounds") + 1]) || 5
const load = () =>
  (require("node:os") as typeof import("node:os"))
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(" ")
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN
const max = (xs: number[]) => Math.max(...xs)
const ms = (x: number) => `${Math.round(x)} ms`

console.log(`bench:k8s — load average at start: ${load()}`)
const env = await startSessionCluster()
try {
  const { driver, ns } = await env.driver()
  const namespace = ns.sessionNamespace
  const core = env.admin.core

  // Baseline: the least the cluster and the fake kubelet take — one bare Pod, created and watched until Ready.
  type Pod = Parameters<typeof judgePod>[0]
  const pods = new ListWatch<Pod>({
    kind: "pods",
    path: `/api/v1/namespaces/${namespace}/pods`,
    labelSelector: "bench=bare",
    list: () => core.listNamespacedPod({ namespace, labelSelector: "bench=bare" }),
    watch: env.admin.watch,
    log: env.log,
  })
  await pods.start()
  const barePod = async () => {
    const name = `bare-${crypto.randomUUID().slice(0, 8)}`
    const t = performance.now()
    await core.createNamespacedPod({
      namespace,
      body: {
        metadata: { name, labels: { bench: "bare" } },
        spec: { automountServiceAccountToken: false, containers: [{ name: "c", image: "streamspace/desktop:latest" }] },
      },
    })
    await new Promise<void>((resolve) => {
      const check = () => {
        const pod = pods.get(name)
        if (pod && judgePod(pod).state === "ready") {
          off()
          resolve()
        }
      }
      const off = pods.onChange(check)
      check()
    })
    return performance.now() - t
  }
  const users: string[] = []
  const session = async () => {
    const spec = sessionSpec()
    users.push(spec.userId)
    const t = performance.now()
    await driver.start(spec)
    return performance.now() - t
  }
  /** A user's next session: the home claim exists and is bound already. */
  const returning = (userId: string) => async () => {
    const t = performance.now()
    await driver.start(sessionSpec({ userId }))
    return performance.now() - t
  }
  const burst = async (n: number, one: () => Promise<number>) => {
    const t = performance.now()
    const each = await Promise.all(Array.from({ length: n }, one))
    return { wall: performance.now() - t, p50: median(each), max: max(each) }
  }

  // Warm-up (first requests pay for connections and caches), then interleaved rounds.
  await barePod()
  await session()
  const serial = { bare: [] as number[], session: [] as number[] }
  for (let i = 0; i < rounds; i++) {
    serial.bare.push(await barePod())
    serial.session.push(await session())
  }
  const bare20 = await burst(20, barePod)
  const sessions20 = await burst(20, session)
  const again = users.slice(-20)
  const returning20 = await (async () => {
    const t = performance.now()
    const each = await Promise.all(again.map((u) => returning(u)()))
    return { wall: performance.now() - t, p50: median(each), max: max(each) }
  })()
  console.log(`\ncreate → Ready (fake kubelet), ${rounds} rounds; load ${load()}`)
  console.log("| case | 1 at a time (median) | 20 at once: p50 / max / all Ready | ratio to baseline |")
  console.log("|---|---|---|---|")
  console.log(
    `| baseline: bare Pod, watched to Ready | ${ms(median(serial.bare))} | ${ms(bare20.p50)} / ${ms(bare20.max)} / ${ms(bare20.wall)} | 1.00× |`,
  )
  console.log(
    `| session: claim + Deployment + Secret + NetworkPolicy + scale, watched to Ready | ${ms(median(serial.session))} | ${ms(sessions20.p50)} / ${ms(sessions20.max)} / ${ms(sessions20.wall)} | ${(median(serial.session) / median(serial.bare)).toFixed(2)}×, ${(sessions20.wall / bare20.wall).toFixed(2)}× |`,
  )
  console.log(
    `| session of a returning user (home claim bound already) | – | ${ms(returning20.p50)} / ${ms(returning20.max)} / ${ms(returning20.wall)} | –, ${(returning20.wall / bare20.wall).toFixed(2)}× |`,
  )
  pods.stop()

  // Leader failover with real agent processes.
  const agentNs = await env.agentNamespaces()
  const kubeconfig = env.cluster.kubeconfigFor(agentNs.token)
  const failover = async (timings: Record<string, string>, kills: number) => {
    const replicas: AgentReplica[] = []
    const start = (name: string) => {
      const r = startAgentReplica(name, {
        KUBECONFIG: kubeconfig,
        SESSION_NAMESPACE: agentNs.sessionNamespace,
        AGENT_NAMESPACE: agentNs.agentNamespace,
        LOG_LEVEL: "warn",
        ...timings,
      })
      replicas.push(r)
      return r
    }
    const took: number[] = []
    try {
      start("a")
      start("b")
      for (let k = 0; k < kills; k++) {
        const leader = await eventually(() => {
          const l = replicas.filter((r) => !r.proc.killed && r.saysLeader() === true)
          if (l.length !== 1) throw new Error("no single leader yet")
          return l[0] as AgentReplica
        }, 60_000)
        const follower = replicas.find((r) => r !== leader && !r.proc.killed) as AgentReplica
        await eventually(() => {
          if (follower.saysLeader() !== false) throw new Error("follower not settled")
        }, 60_000)
        const mark = follower.cp.messages.length
        const t = performance.now()
        leader.proc.kill("SIGKILL")
        await eventually(
          () => {
            if (!follower.cp.messages.slice(mark).some((m) => m.type === "leader.changed" && m.leader)) throw new Error("not yet")
          },
          60_000,
          5,
        )
        took.push(performance.now() - t)
        await leader.kill("SIGKILL")
        start(`${leader.name}-${k}`)
      }
    } finally {
      for (const r of replicas) await r.kill("SIGKILL")
    }
    return took
  }
  // Each measurement starts from an unheld Lease of its own timings: wait for the previous one to lapse.
  const fast = await failover({ LEADER_LEASE_MS: "3000", LEADER_RENEW_MS: "1000", LEADER_RETRY_MS: "500" }, rounds)
  await Bun.sleep(3_500)
  const clientGo = await failover({ LEADER_LEASE_MS: "15000", LEADER_RENEW_MS: "10000", LEADER_RETRY_MS: "2000" }, 1)
  console.log(`\nleader failover: SIGKILL of the leader → the follower sends leader.changed; load ${load()}`)
  console.log("| timings (lease / renew / retry) | kills | median | max | ratio to baseline |")
  console.log("|---|---|---|---|---|")
  console.log(`| baseline: client-go defaults 15 s / 10 s / 2 s | 1 | ${ms(median(clientGo))} | ${ms(max(clientGo))} | 1.00× |`)
  console.log(
    `| StreamSpace defaults 3 s / 1 s / 0.5 s | ${fast.length} | ${ms(median(fast))} | ${ms(max(fast))} | ${(median(fast) / median(clientGo)).toFixed(2)}× |`,
  )
  console.log(`\ngoal: failover ≤ 5 s → ${max(fast) <= 5_000 ? "met" : "NOT met"} (max ${ms(max(fast))})`)
} finally {
  await env.stop()
}
console.log(`load average at end: ${load()}`)
