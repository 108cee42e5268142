// The first-party quotas plugin: session.beforeCreate refuses a launch that would pass the user's limits.
import { config, sessions } from "host:api"
import { definePlugin } from "@streamspace/sdk/plugin"
import { decide, limitsFor, type QuotaConfig } from "./limits.ts"

export default definePlugin({
  hooks: {
    "session.beforeCreate": async ({ user, request }) => {
      const usage = await sessions.usage(user.id)
      return decide(limitsFor(config as QuotaConfig, user), usage, request.resources)
    },
  },
})
