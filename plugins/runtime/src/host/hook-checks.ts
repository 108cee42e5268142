// Schema checks for hook inputs and outputs, and the fail-mode answer when a plugin cannot decide.
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler"
import {
  type FailMode,
  HOOKS,
  registerFormats,
  type HookInput,
  type HookName,
  type HookOutput,
  type PluginErrorCode,
} from "@streamspace/schemas"

registerFormats()
import type { TSchema } from "@sinclair/typebox"

export interface HookOutcome<H extends HookName = HookName> {
  installId: string
  output: HookOutput<H>
  /** "plugin" when the plugin answered; otherwise its declared fail mode decided. */
  decidedBy: "plugin" | "fail-open" | "fail-closed"
  error?: { code: PluginErrorCode; message: string }
}

const compiled = new Map<TSchema, TypeCheck<TSchema>>()
const checkerFor = (schema: TSchema): TypeCheck<TSchema> => {
  const known = compiled.get(schema)
  if (known !== undefined) return known
  const check = TypeCompiler.Compile(schema)
  compiled.set(schema, check)
  return check
}

const firstError = (check: TypeCheck<TSchema>, value: unknown): string => {
  const first = check.Errors(value).First()
  return `field ${first?.path || "/"}: ${first?.message ?? "invalid"}`
}

/** The core passed a bad input: a bug in the core, so it throws rather than bothering the plugin. */
export function assertHookInput<H extends HookName>(hook: H, input: unknown): asserts input is HookInput<H> {
  const check = checkerFor(HOOKS[hook].input)
  if (!check.Check(input)) throw new TypeError(`The input for hook ${hook} is invalid at ${firstError(check, input)}.`)
}

/** Undefined when the plugin's output has the hook's shape, else why not. */
export const outputProblem = (hook: HookName, output: unknown): string | undefined => {
  const check = checkerFor(HOOKS[hook].output)
  return check.Check(output) ? undefined : `The answer to ${hook} is invalid at ${firstError(check, output)}.`
}

export const fallbackOutcome = <H extends HookName>(
  hook: H,
  installId: string,
  pluginId: string,
  mode: FailMode,
  error: { code: PluginErrorCode; message: string },
): HookOutcome<H> => {
  // The reason may reach an end user: name the plugin and the code, keep the details for the logs.
  const reason = `The ${pluginId} plugin could not decide (${error.code}).`
  const output = HOOKS[hook].fallback(mode, reason) as HookOutput<H>
  return { installId, output, decidedBy: mode === "open" ? "fail-open" : "fail-closed", error }
}
