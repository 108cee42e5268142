// @streamspace/sdk/plugin: what plugin code imports. Types only, plus definePlugin: nothing here reaches a bundle but a few bytes.
import type { PluginDefinition } from "./types.ts"

export type { EventHandler, HookHandler, HostModule, PluginDefinition } from "./types.ts"
export type { HookInput, HookName, HookOutput, PluginEvent, PluginManifest } from "@streamspace/schemas"

/** Declares a plugin: `export default definePlugin({ hooks, events })`. */
export const definePlugin = <const P extends PluginDefinition>(plugin: P): P => plugin
