// Plugin hooks: each hook's name, input, output and the decision used when a plugin fails to answer.
import { type Static, type TSchema, Type } from "@sinclair/typebox"
import { Uuid } from "./common.ts"
import { AUTH_HOOK_SHAPES as AUTH, authFallback as denied } from "./plugin-auth-hooks.ts"
import { HookUser } from "./plugin-hook-user.ts"
import { PluginActionInput, PluginActionOutput } from "./plugin-actions.ts"
import { Resources } from "./template.ts"

export { HookUser }

export const FailMode = Type.Union([Type.Literal("open"), Type.Literal("closed")], {
  description:
    "What the host decides when the plugin does not answer in time or fails: open lets the action go on, closed refuses it",
})
export type FailMode = Static<typeof FailMode>

export const SessionBeforeCreateInput = Type.Object({
  user: HookUser,
  request: Type.Object({ templateId: Uuid, templateName: Type.String(), resources: Resources }),
})
export type SessionBeforeCreateInput = Static<typeof SessionBeforeCreateInput>

export const SessionBeforeCreateOutput = Type.Object(
  {
    allow: Type.Boolean(),
    reason: Type.Optional(Type.String({ maxLength: 2000, description: "Shown to the user when allow is false" })),
    code: Type.Optional(Type.String({ pattern: "^[A-Z][A-Z0-9_]{0,63}$", description: "Stable SCREAMING_SNAKE code" })),
  },
  { additionalProperties: false },
)
export type SessionBeforeCreateOutput = Static<typeof SessionBeforeCreateOutput>

/** The host calls `tick` periodically (one replica per cluster) on installs that declare it. */
export const TickInput = Type.Object({
  now: Type.String({ description: "ISO 8601 time of this tick" }),
  intervalMs: Type.Integer({ minimum: 1, description: "Time between ticks" }),
})
export const TickOutput = Type.Object({}, { additionalProperties: true, description: "Nothing is expected back" })

export interface HookDefinition<I extends TSchema, O extends TSchema> {
  input: I
  output: O
  /** The answer the host uses when the plugin fails; `reason` says what went wrong. */
  fallback: (mode: FailMode, reason: string) => Static<O>
}

const hook = <I extends TSchema, O extends TSchema>(definition: HookDefinition<I, O>) => definition

/**
 * Every hook the core may call. To add one (e.g. `auth.signIn`), declare its shapes in a file of
 * its own and add an entry here: manifests, the runtime and the SDK types follow from this table.
 */
export const HOOKS = {
  "session.beforeCreate": hook({
    input: SessionBeforeCreateInput,
    output: SessionBeforeCreateOutput,
    fallback: (mode, reason) => (mode === "open" ? { allow: true } : { allow: false, code: "PLUGIN_UNAVAILABLE", reason }),
  }),
  /** An admin action the manifest declares (`actions`); the core has checked the caller and the input. */
  "plugin.action": hook({
    input: PluginActionInput,
    output: PluginActionOutput,
    fallback: (_mode, reason) => ({ ok: false as const, status: 503 as const, code: "PLUGIN_UNAVAILABLE", message: reason }),
  }),
  tick: hook({ input: TickInput, output: TickOutput, fallback: () => ({}) }),
  "auth.setup": hook({ ...AUTH["auth.setup"], fallback: denied }),
  "auth.signIn": hook({ ...AUTH["auth.signIn"], fallback: denied }),
  "auth.refresh": hook({ ...AUTH["auth.refresh"], fallback: denied }),
  "auth.signOut": hook({ ...AUTH["auth.signOut"], fallback: denied }),
  "auth.invitation.create": hook({ ...AUTH["auth.invitation.create"], fallback: denied }),
  "auth.invitation.accept": hook({ ...AUTH["auth.invitation.accept"], fallback: denied }),
  "auth.totp.enrol": hook({ ...AUTH["auth.totp.enrol"], fallback: denied }),
  "auth.totp.verify": hook({ ...AUTH["auth.totp.verify"], fallback: denied }),
  "auth.totp.disable": hook({ ...AUTH["auth.totp.disable"], fallback: denied }),
  "auth.recoveryCodes": hook({ ...AUTH["auth.recoveryCodes"], fallback: denied }),
  "auth.status": hook({ ...AUTH["auth.status"], fallback: denied }),
  "auth.oidcProfile": hook({ ...AUTH["auth.oidcProfile"], fallback: denied }),
  "auth.signIns.list": hook({ ...AUTH["auth.signIns.list"], fallback: denied }),
  "auth.signIns.revoke": hook({ ...AUTH["auth.signIns.revoke"], fallback: denied }),
  "auth.password.change": hook({ ...AUTH["auth.password.change"], fallback: denied }),
} as const

export type Hooks = typeof HOOKS
export type HookName = keyof Hooks
export type HookInput<H extends HookName> = Static<Hooks[H]["input"]>
export type HookOutput<H extends HookName> = Static<Hooks[H]["output"]>

export const HOOK_NAMES = Object.keys(HOOKS) as HookName[]
export const HookNameSchema = Type.Union(HOOK_NAMES.map((name) => Type.Literal(name)))
export const isHookName = (name: string): name is HookName => Object.hasOwn(HOOKS, name)
