// Types a plugin author writes against: the host:api module, hook and event handlers.
import type { HookInput, HookName, HookOutput, HostArgs, HostMethod, HostResult, PluginEvent } from "@streamspace/schemas"

type Namespace = HostMethod extends `${infer NS}.${string}` ? NS : never
type Call<M extends HostMethod> = (...args: HostArgs<M>) => Promise<HostResult<M>>

/** What `import * as host from "host:api"` gives a plugin; every call is checked on the host. */
export type HostModule = {
  readonly [NS in Namespace]: { readonly [M in HostMethod as M extends `${NS}.${infer F}` ? F : never]: Call<M> }
} & {
  /** This install's config, validated by the core against the manifest's configSchema. */
  readonly config: unknown
  readonly install: { readonly id: string; readonly pluginId: string; readonly version: string }
}

export type HookHandler<H extends HookName> = (input: HookInput<H>, host: HostModule) => HookOutput<H> | Promise<HookOutput<H>>
export type EventHandler = (event: PluginEvent, host: HostModule) => void | Promise<void>

export interface PluginDefinition {
  hooks?: { [H in HookName]?: HookHandler<H> }
  /** By event type (`session.started`), prefix (`session.*`) or `*`. */
  events?: Record<string, EventHandler>
}
