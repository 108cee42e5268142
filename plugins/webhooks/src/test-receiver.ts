// A real HTTP receiver on loopback for the webhooks tests: records every request, answers from a script.
export interface Received {
  path: string
  headers: Record<string, string>
  body: string
}

export interface TestReceiver {
  url: (path?: string) => string
  received: Received[]
  /** Status codes to answer per path, in order; 200 once a path's script runs out. */
  script: Record<string, number[]>
  stop: () => void
}

export const startReceiver = (): TestReceiver => {
  const received: Received[] = []
  const state = { script: {} as Record<string, number[]> }
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch: async (request) => {
      const headers: Record<string, string> = {}
      request.headers.forEach((value, name) => {
        headers[name] = value
      })
      const path = new URL(request.url).pathname
      received.push({ path, headers, body: await request.text() })
      return new Response("ok", { status: state.script[path]?.shift() ?? 200 })
    },
  })
  return {
    url: (path = "/hook") => `http://127.0.0.1:${server.port}${path}`,
    received,
    get script() {
      return state.script
    },
    set script(value: Record<string, number[]>) {
      state.script = value
    },
    stop: () => server.stop(true),
  }
}
