// What the events feature needs from the plugin host, as an interface createApp fills in.
import type { StreamSpaceEvent } from "@streamspace/schemas"

export interface EventSubscriber {
  installId: string
  pluginId: string
  /** The manifest's `events`: types or prefixes such as `session.*`. */
  events: readonly string[]
}

export type DeliveryOutcome = { ok: true } | { ok: false; code: string; message: string }

export interface EventConsumers {
  /** Enabled installs and what they subscribe to, read from the installs table (the same on every replica). */
  subscribers(): Promise<EventSubscriber[]>
  deliver(installId: string, event: StreamSpaceEvent): Promise<DeliveryOutcome>
}
