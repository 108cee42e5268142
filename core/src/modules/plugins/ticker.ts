// Calls the `tick` hook of every install that declares it, periodically, on one replica per cluster.
import type { Logger } from "../../infra/log.ts"
import type { PluginHost } from "./plugin-host.ts"

export interface TickerOptions {
  intervalMs: number
  /** True on the one replica that should tick (the event dispatcher's leader). */
  isLeader(): Promise<boolean>
}

export function startTicker(host: PluginHost, log: Logger, options: TickerOptions): () => void {
  let busy = false
  const timer = setInterval(() => {
    // A slow plugin delays the next tick rather than stacking them up.
    if (busy) return
    busy = true
    void (async () => {
      if (!(await options.isLeader())) return
      const outcomes = await host.runHook("tick", { now: new Date().toISOString(), intervalMs: options.intervalMs })
      for (const o of outcomes)
        if (o.decidedBy !== "plugin") log.warn({ installId: o.installId, error: o.error }, "a plugin's tick failed")
    })()
      .catch((err: unknown) => log.error({ err }, "plugin tick failed"))
      .finally(() => {
        busy = false
      })
  }, options.intervalMs)
  return () => clearInterval(timer)
}
