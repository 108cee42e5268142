// The yardstick for bench:api: a bare Bun.serve hello-world, run in its own process; prints its port.
const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("Hello, world!") })
console.log(server.port)
