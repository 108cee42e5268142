// The environment the control plane runs with in production: bin/streamspace, the Containerfile, and
// whatever starts main.ts as the product (process tests, benchmarks) set it.

/**
 * Libraries read NODE_ENV once, when they load. Elysia in development mode builds a sample of the
 * expected value and a pretty-printed JSON message for every request that fails validation, which
 * doubles the CPU of answering a bad request; the core answers with its own problem+json either way.
 */
export const PRODUCTION_ENV: Record<string, string> = { NODE_ENV: "production" }
