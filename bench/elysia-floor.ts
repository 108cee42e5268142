// bench:api's second yardstick: Elysia with the session body schema and nothing else (no auth, request id, audit or
// problem+json), run in production mode like the control plane. What the framework itself costs for a request that
// fails validation, measured beside the bare server in the same run. Prints its port.
import { Elysia } from "elysia"
import { CreateSession } from "../schemas/src/index.ts"

const app = new Elysia().post("/api/v1/sessions", ({ body }) => body, { body: CreateSession })
app.listen({ port: 0, hostname: "127.0.0.1" })
console.log(app.server?.port)
