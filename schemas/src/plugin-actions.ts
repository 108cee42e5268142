// Plugin admin actions: what a manifest declares, the `plugin.action` hook that runs one, and the REST shapes.
import { type Static, Type } from "@sinclair/typebox"
import { Uuid } from "./common.ts"
import { HookUser } from "./plugin-hook-user.ts"

export const ActionName = Type.String({
  minLength: 1,
  maxLength: 64,
  pattern: "^[a-z][a-zA-Z0-9]*([.-][a-zA-Z0-9]+)*$",
  description: "e.g. endpoints.create",
})

/** One action a plugin offers its admins, declared in the manifest so the core can list and check it without the sandbox. */
export const PluginActionDeclaration = Type.Object(
  {
    name: ActionName,
    description: Type.String({ minLength: 1, maxLength: 500 }),
    readOnly: Type.Optional(
      Type.Boolean({ description: "Changes nothing: also callable as GET with the query as input (e.g. a log)" }),
    ),
    input: Type.Optional(
      Type.Object(
        { type: Type.Literal("object") },
        { additionalProperties: true, description: "JSON Schema (2020-12) of the input; the core checks it first" },
      ),
    ),
  },
  { additionalProperties: false },
)
export type PluginActionDeclaration = Static<typeof PluginActionDeclaration>

export const PluginActionInput = Type.Object({
  action: ActionName,
  input: Type.Record(Type.String(), Type.Unknown()),
  /** The admin who asked (already authenticated and authorised by the core). */
  actor: HookUser,
})
export type PluginActionInput = Static<typeof PluginActionInput>

export const PluginActionOutput = Type.Union([
  Type.Object({ ok: Type.Literal(true), result: Type.Unknown() }, { additionalProperties: false }),
  Type.Object(
    {
      ok: Type.Literal(false),
      status: Type.Union([400, 404, 409, 422, 503].map((s) => Type.Literal(s))),
      code: Type.String({ pattern: "^[A-Z][A-Z0-9_]{0,63}$", description: "Stable SCREAMING_SNAKE code" }),
      message: Type.String({ minLength: 1, maxLength: 2000 }),
      field: Type.Optional(Type.String({ maxLength: 256, description: "JSON pointer into the input" })),
    },
    { additionalProperties: false },
  ),
])
export type PluginActionOutput = Static<typeof PluginActionOutput>

export const PluginActionParams = Type.Object({ id: Uuid, action: ActionName })
