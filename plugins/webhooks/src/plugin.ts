// The first-party webhooks plugin: events to admin-managed endpoints, signed per Standard Webhooks, retried by the dispatcher.
import { config } from "host:api"
import { definePlugin } from "@streamspace/sdk/plugin"
import { runAction } from "./actions.ts"
import { deliverEvent } from "./deliver.ts"

interface WebhooksConfig {
  requestTimeoutMs: number
  logCap: number
}

const options = () => {
  const c = config as WebhooksConfig
  return { timeoutMs: c.requestTimeoutMs, logCap: c.logCap }
}

export default definePlugin({
  hooks: {
    "plugin.action": ({ action, input }) => runAction(action, input, options()),
  },
  events: {
    "*": (event) => deliverEvent(event, options()),
  },
})
