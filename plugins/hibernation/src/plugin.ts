// The first-party hibernation plugin: on each tick, warns idle sessions' viewers, then hibernates or stops them.
import { config, kv, log, sessions } from "host:api"
import { definePlugin } from "@streamspace/sdk/plugin"
import { type HibernationConfig, nextStep, policyFor, type Warning } from "./policy.ts"

const WARN = "warn:"

export default definePlugin({
  hooks: {
    tick: async ({ now }) => {
      const at = Date.parse(now)
      const running = await sessions.activity()
      const warnedIds = new Set((await kv.list(WARN, 1000)).map((key) => key.slice(WARN.length)))
      for (const s of running) {
        const key = WARN + s.sessionId
        const warned = warnedIds.has(s.sessionId) ? ((await kv.get(key)) as Warning | null) : null
        warnedIds.delete(s.sessionId)
        const step = nextStep(at, s, policyFor(config as HibernationConfig, s.templateName), warned)
        try {
          if (step.kind === "warn") {
            await sessions.warnIdle(s.sessionId, {
              action: step.warning.action,
              deadline: new Date(step.warning.deadline).toISOString(),
              reason: step.reason,
            })
            await kv.set(key, step.warning)
          } else if (step.kind === "clear") {
            await kv.delete(key)
            await sessions.clearIdleWarning(s.sessionId)
          } else if (step.kind === "act") {
            await kv.delete(key)
            if (step.action === "hibernate") await sessions.hibernate(s.sessionId)
            else await sessions.stop(s.sessionId, { reason: `stopped: ${step.reason}` })
            log.info(`${step.action} session ${s.sessionId}: ${step.reason}`)
          }
        } catch (error) {
          // The session may have changed state since the list (stopped by its owner): next tick sees it.
          log.warn(`could not ${step.kind} session ${s.sessionId}: ${(error as Error).message}`)
        }
      }
      // Warnings of sessions that stopped running some other way.
      for (const id of warnedIds) await kv.delete(WARN + id)
      return {}
    },
  },
})
