// The AuthPolicy over the plugin host: the first enabled install that declares an auth hook answers it.
import type { AuthHookName, HookInput, HookName, HookOutput } from "@streamspace/schemas"
import { availableParallelism } from "node:os"
import { createAdmission } from "./admission.ts"
import { AuthRefused } from "./errors.ts"
import type { AuthPolicy } from "./ports.ts"

/** The hooks that hash or verify a password (argon2id on the host). */
const HASHING: ReadonlySet<AuthHookName> = new Set([
  "auth.signIn",
  "auth.setup",
  "auth.invitation.accept",
  "auth.password.change",
])

/** The supervisor's (and the core plugin host's) runHook: every subscriber's outcome, in priority order. */
type RunHook = <H extends HookName>(
  hook: H,
  input: HookInput<H>,
  until?: (outcome: { output: HookOutput<H> }) => boolean,
) => Promise<{ output: HookOutput<H> }[]>

export function authPolicyOver(
  runHook: RunHook,
  options = { hashingAtOnce: availableParallelism(), maxWaitMs: 15_000 },
): AuthPolicy {
  const admission = createAdmission(options.hashingAtOnce, options.maxWaitMs)
  const answer = async <H extends AuthHookName>(hook: H, input: HookInput<H>) => {
    const [first] = await runHook(hook, input, () => true)
    if (first === undefined)
      throw new AuthRefused("AUTH_PLUGIN_MISSING", "No sign-in plugin is enabled. An admin can install streamspace.auth.")
    return first.output
  }
  return {
    ask: (hook, input) => (HASHING.has(hook) ? admission.run(() => answer(hook, input)) : answer(hook, input)),
  }
}
