// A real Kubernetes control plane for tests and benchmarks: etcd + kube-apiserver (127.0.0.1, TLS,
// token auth, RBAC) + controller-manager + scheduler, built from Debian's source package by
// scripts/kube/build-apiserver.sh. There is no kubelet here: pair it with FakeKubelet.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { KubeConfig } from "@kubernetes/client-node"
import { type ClusterCerts, makeCerts } from "./certs.ts"

const repoRoot = join(import.meta.dir, "..", "..", "..", "..")
const buildScript = join(repoRoot, "scripts", "kube", "build-apiserver.sh")

/** Where the build script caches the binaries; a missing build is a loud failure, never a skip. */
export function kubeBinDir(): string {
  const dir = Bun.spawnSync(["bash", buildScript, "--dir"]).stdout.toString().trim()
  const missing = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].filter((b) => !existsSync(join(dir, b)))
  if (missing.length > 0)
    throw new Error(
      `KUBERNETES IS NOT BUILT: ${missing.join(", ")} missing from ${dir}. Run scripts/kube/build-apiserver.sh ` +
        "(scripts/setup.sh test does) — the Kubernetes agent's tests need a real kube-apiserver and have no fallback.",
    )
  if (Bun.which("etcd") === null)
    throw new Error("etcd is not installed: apt-get install etcd-server (scripts/kube/build-apiserver.sh does).")
  return dir
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => resolve(typeof address === "object" && address ? address.port : 0))
    })
  })
}

/** util-linux's setpriv can tie a child's life to ours (PR_SET_PDEATHSIG). */
const pdeathsig = Bun.which("setpriv") !== null

export interface KubeCluster {
  server: string
  caFile: string
  caPem: string
  adminToken: string
  /** A kubeconfig file for `token` (the admin's by default). */
  kubeconfigFor(token?: string): string
  /** A KubeConfig object for `token` (the admin's by default). */
  kubeConfig(token?: string): KubeConfig
  stop(): Promise<void>
}

interface Proc {
  name: string
  proc: ReturnType<typeof Bun.spawn>
  log: string
}

export async function startKubeCluster(): Promise<KubeCluster> {
  const bin = kubeBinDir()
  // tmpfs when there is one: etcd fsyncs on every write.
  const base = existsSync("/dev/shm") ? "/dev/shm" : tmpdir()
  const dir = mkdtempSync(join(base, "streamspace-kube-"))
  const procs: Proc[] = []
  const stop = async () => {
    for (const p of procs.reverse()) p.proc.kill("SIGKILL")
    await Promise.all(procs.map((p) => p.proc.exited))
    rmSync(dir, { recursive: true, force: true })
  }
  try {
    const certs = makeCerts(dir)
    const [etcdPort, peerPort, apiPort] = [await freePort(), await freePort(), await freePort()]
    const adminToken = crypto.randomUUID()
    writeFileSync(join(dir, "tokens.csv"), `${adminToken},admin,admin,"system:masters"\n`)
    const spawn = (name: string, cmd: string[]) => {
      const log = join(dir, `${name}.log`)
      // Dies with the test process even if that is killed: a crashed run leaves no 500 MB cluster behind.
      const guarded = pdeathsig ? ["setpriv", "--pdeathsig", "SIGKILL", "--", ...cmd] : cmd
      const proc = Bun.spawn(guarded, { stdout: Bun.file(log), stderr: Bun.file(log), stdin: "ignore" })
      procs.push({ name, proc, log })
      return proc
    }
    spawn("etcd", [
      "etcd",
      `--data-dir=${join(dir, "etcd")}`,
      `--listen-client-urls=http://127.0.0.1:${etcdPort}`,
      `--advertise-client-urls=http://127.0.0.1:${etcdPort}`,
      `--listen-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peerPort}`,
      `--initial-cluster=default=http://127.0.0.1:${peerPort}`,
      "--log-level=error",
    ])
    await until("etcd", procs, async () => (await fetch(`http://127.0.0.1:${etcdPort}/health`)).ok)
    spawn("kube-apiserver", apiserverArgs(bin, dir, certs, etcdPort, apiPort))
    const server = `https://127.0.0.1:${apiPort}`
    const caPem = readFileSync(certs.caCert, "utf8")
    const readyz = async () =>
      (await fetch(`${server}/readyz`, { headers: { authorization: `Bearer ${adminToken}` }, tls: { ca: caPem } })).ok
    await until("kube-apiserver", procs, readyz, 60_000)
    const kubeconfigFor = (token = adminToken) => {
      const file = join(dir, `kubeconfig-${Bun.hash(token).toString(16)}`)
      writeFileSync(file, kubeconfigText(server, caPem, token), { mode: 0o600 })
      return file
    }
    const adminConfig = kubeconfigFor()
    spawn("kube-controller-manager", [
      join(bin, "kube-controller-manager"),
      `--kubeconfig=${adminConfig}`,
      "--leader-elect=false",
      "--port=0",
      "--secure-port=0",
      // Only what the agent's objects need: no node lifecycle (the fake node sends no heartbeats).
      "--controllers=deployment,replicaset,garbagecollector,persistentvolume-binder,serviceaccount-token,serviceaccount,namespace",
      `--service-account-private-key-file=${certs.saKey}`,
      `--root-ca-file=${certs.caCert}`,
      // The default client limits (20 requests/s, bursts of 30) would make the controllers, not the
      // agent, the bottleneck of 20 sessions started at once.
      "--kube-api-qps=500",
      "--kube-api-burst=1000",
      "--concurrent-deployment-syncs=10",
      "--concurrent-replicaset-syncs=10",
      "--v=0",
    ])
    spawn("kube-scheduler", [
      join(bin, "kube-scheduler"),
      `--kubeconfig=${adminConfig}`,
      "--leader-elect=false",
      "--port=0",
      "--secure-port=0",
      "--kube-api-qps=500",
      "--kube-api-burst=1000",
      "--v=0",
    ])
    const kubeConfig = (token = adminToken) => {
      const kc = new KubeConfig()
      kc.loadFromString(kubeconfigText(server, caPem, token))
      return kc
    }
    return { server, caFile: certs.caCert, caPem, adminToken, kubeconfigFor, kubeConfig, stop }
  } catch (err) {
    await stop()
    throw err
  }
}

function apiserverArgs(bin: string, dir: string, certs: ClusterCerts, etcdPort: number, apiPort: number): string[] {
  return [
    join(bin, "kube-apiserver"),
    `--etcd-servers=http://127.0.0.1:${etcdPort}`,
    "--bind-address=127.0.0.1",
    "--advertise-address=127.0.0.1",
    `--secure-port=${apiPort}`,
    "--insecure-port=0",
    `--tls-cert-file=${certs.serverCert}`,
    `--tls-private-key-file=${certs.serverKey}`,
    `--client-ca-file=${certs.caCert}`,
    `--token-auth-file=${join(dir, "tokens.csv")}`,
    "--authorization-mode=RBAC",
    `--service-account-key-file=${certs.saPub}`,
    `--service-account-signing-key-file=${certs.saKey}`,
    "--service-account-issuer=https://kubernetes.default.svc",
    "--api-audiences=https://kubernetes.default.svc",
    "--service-cluster-ip-range=10.96.0.0/16",
    "--enable-priority-and-fairness=false",
    "--profiling=false",
    "--v=0",
  ]
}

function kubeconfigText(server: string, caPem: string, token: string): string {
  return JSON.stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster: { server, "certificate-authority-data": Buffer.from(caPem).toString("base64") } }],
    users: [{ name: "user", user: { token } }],
    contexts: [{ name: "test", context: { cluster: "test", user: "user" } }],
    "current-context": "test",
  })
}

/** Waits for a component to answer; if it exits first, the error carries the end of its log. */
async function until(name: string, procs: Proc[], probe: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const dead = procs.find((p) => p.proc.exitCode !== null)
    if (dead) throw new Error(`${dead.name} exited (${dead.proc.exitCode}) while starting: ${tail(dead.log)}`)
    if (await probe().catch(() => false)) return
    if (Date.now() > deadline) throw new Error(`${name} did not answer within ${timeoutMs} ms: ${tail(procs.at(-1)?.log)}`)
    await Bun.sleep(50)
  }
}

const tail = (file?: string): string => {
  if (!file || !existsSync(file)) return "(no log)"
  return readFileSync(file, "utf8").split("\n").slice(-15).join("\n")
}
