// FAKE apiserver on loopback for what a real one will not do on demand: 500/429 answers, a watch
// cut mid-stream, 410 Gone, slow or silent answers. Every request is recorded; each test scripts
// the answers. Never a stand-in for the real apiserver in the driver's lifecycle tests.
import { KubeConfig } from "@kubernetes/client-node"

export interface RecordedRequest {
  path: string
  watch: boolean
  resourceVersion: string | null
}

export interface ListAnswer {
  status: number
  body: unknown
  /** Answer this late (a slow apiserver). */
  delayMs?: number
}

export class FakeApiserver {
  readonly requests: RecordedRequest[] = []
  /** Answers for LIST requests, used in order; the last one repeats. */
  listAnswers: ListAnswer[] = []
  /** Status for the next WATCH requests (200 opens a stream), used in order; then 200. */
  watchStatuses: number[] = []
  private streams: ReadableStreamDefaultController<Uint8Array>[] = []
  private readonly server: ReturnType<typeof Bun.serve>
  private readonly encoder = new TextEncoder()

  constructor() {
    this.server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      idleTimeout: 0,
      fetch: async (req) => {
        const url = new URL(req.url)
        const watch = url.searchParams.get("watch") === "true"
        this.requests.push({ path: url.pathname, watch, resourceVersion: url.searchParams.get("resourceVersion") })
        if (!watch) {
          const answer = this.listAnswers.length > 1 ? this.listAnswers.shift() : this.listAnswers[0]
          if (!answer) return Response.json({ kind: "Status", code: 500, message: "no answer scripted" }, { status: 500 })
          if (answer.delayMs) await Bun.sleep(answer.delayMs)
          return Response.json(answer.body, { status: answer.status })
        }
        const status = this.watchStatuses.shift() ?? 200
        if (status !== 200) return Response.json({ kind: "Status", code: status, message: `scripted ${status}` }, { status })
        const stream = new ReadableStream<Uint8Array>({ start: (c) => void this.streams.push(c) })
        return new Response(stream, { headers: { "content-type": "application/json" } })
      },
    })
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`
  }

  kubeConfig(): KubeConfig {
    const kc = new KubeConfig()
    kc.loadFromOptions({
      clusters: [{ name: "fake", server: this.url, skipTLSVerify: true }],
      users: [{ name: "fake" }],
      contexts: [{ name: "fake", cluster: "fake", user: "fake" }],
      currentContext: "fake",
    })
    return kc
  }

  get openWatches(): number {
    return this.streams.length
  }

  /** Sends one watch event on the newest open watch. */
  event(type: string, object: unknown): void {
    this.streams.at(-1)?.enqueue(this.encoder.encode(`${JSON.stringify({ type, object })}\n`))
  }

  /** Ends the newest watch's HTTP response mid-stream, as a dropped connection or a restarted apiserver would. */
  cut(): void {
    const c = this.streams.pop()
    try {
      c?.close()
    } catch {
      // already closed by the client
    }
  }

  watches(): RecordedRequest[] {
    return this.requests.filter((r) => r.watch)
  }

  lists(): RecordedRequest[] {
    return this.requests.filter((r) => !r.watch)
  }

  stop(): void {
    for (const c of this.streams.splice(0)) {
      try {
        c.close()
      } catch {}
    }
    this.server.stop(true)
  }
}

export const podList = (resourceVersion: string, names: string[]) => ({
  kind: "PodList",
  apiVersion: "v1",
  metadata: { resourceVersion },
  items: names.map((name) => pod(name, resourceVersion)),
})

export const pod = (name: string, resourceVersion: string) => ({
  kind: "Pod",
  apiVersion: "v1",
  metadata: { name, namespace: "ns", resourceVersion, labels: { app: "x" } },
})
