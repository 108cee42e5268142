// Whether a plugin install can run its admin actions now, and if not, why in words.
import type { PluginInstall } from "@streamspace/schemas"

/** null when the actions can run; otherwise what is in the way and what to do about it. */
export function actionsUnavailable(p: Pick<PluginInstall, "enabled" | "status">): string | null {
  if (!p.enabled) return "The plugin is disabled: enable it to run its actions."
  if (p.status === "running") return null
  if (p.status === "loading") return "The plugin is starting: its actions can run in a moment."
  if (p.status === "stopped") return "The plugin is not running: the plugin runtime is off on this control plane."
  if (p.status === "crashed") return "The plugin crashed and is being restarted: its actions can run once it is running."
  return "The plugin failed: see its last error, then disable and enable it to try again."
}
