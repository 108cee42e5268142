// What the auth routes need from the plugin host: one answer to an auth hook, from the auth plugin.
import type { AuthHookName, HookInput, HookOutput } from "@streamspace/schemas"

export interface AuthPolicy {
  /** The auth plugin's answer (or its fail mode's deny); throws AuthRefused AUTH_PLUGIN_MISSING when none is enabled. */
  ask<H extends AuthHookName>(hook: H, input: HookInput<H>): Promise<HookOutput<H>>
}
