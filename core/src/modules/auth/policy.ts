// The AuthPolicy over the plugin host: the first enabled install that declares an auth hook answers it.
import type { AuthHookName, HookInput, HookName, HookOutput } from "@streamspace/schemas"
import { AuthRefused } from "./errors.ts"
import type { AuthPolicy } from "./ports.ts"

/** The supervisor's (and the core plugin host's) runHook: every subscriber's outcome, in priority order. */
type RunHook = <H extends HookName>(
  hook: H,
  input: HookInput<H>,
  until?: (outcome: { output: HookOutput<H> }) => boolean,
) => Promise<{ output: HookOutput<H> }[]>

export const authPolicyOver = (runHook: RunHook): AuthPolicy => ({
  async ask<H extends AuthHookName>(hook: H, input: HookInput<H>) {
    const [first] = await runHook(hook, input, () => true)
    if (first === undefined)
      throw new AuthRefused("AUTH_PLUGIN_MISSING", "No sign-in plugin is enabled. An admin can install streamspace.auth.")
    return first.output
  },
})
