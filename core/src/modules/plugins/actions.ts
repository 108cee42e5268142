// Plugin admin actions: the core checks the install, the action and its input, then asks the install's plugin.action hook.
import type { PluginActionDeclaration } from "@streamspace/schemas"
import type { CoreDeps } from "../../deps.ts"
import { AppError, Conflict, NotFound } from "../../http/errors.ts"
import type { Principal } from "../identity/principal.ts"
import { validateAgainst } from "./config-schema.ts"
import type { PluginHost } from "./plugin-host.ts"
import * as repo from "./repo.ts"

/** The plugin refused the action, with its own stable code and a status from a short list (400, 404, 409, 422, 503). */
export class PluginActionFailed extends AppError {
  readonly title = "Plugin action failed"
  constructor(
    readonly code: string,
    readonly status: number,
    detail: string,
    field?: string,
  ) {
    super(detail, field === undefined ? undefined : [{ field, message: detail }])
  }
}

const installOrThrow = async (deps: CoreDeps, id: string) => {
  const row = await repo.findInstall(deps.sql, id)
  if (row === null) throw new NotFound("Plugin install")
  return row
}

export const listActions = async (deps: CoreDeps, id: string): Promise<PluginActionDeclaration[]> =>
  (await installOrThrow(deps, id)).manifest.actions ?? []

/**
 * Runs one declared action. `via: "GET"` is allowed only for actions the manifest marks readOnly, so a
 * link or a prefetch can never change anything. Input is checked against the action's schema here, so
 * the plugin sees only input of the declared shape.
 */
export async function runAction(
  deps: CoreDeps,
  host: PluginHost,
  id: string,
  action: string,
  input: Record<string, unknown>,
  actor: Principal,
  via: "GET" | "POST",
): Promise<unknown> {
  const row = await installOrThrow(deps, id)
  const declared = row.manifest.actions?.find((a) => a.name === action)
  if (declared === undefined || (via === "GET" && declared.readOnly !== true)) {
    const hint = declared === undefined ? "" : " with GET; it changes things, so use POST"
    throw new PluginActionFailed("PLUGIN_ACTION_NOT_FOUND", 404, `The ${row.pluginId} plugin has no action ${action}${hint}.`)
  }
  if (!row.enabled) throw new Conflict(`The ${row.pluginId} plugin is disabled; enable it to run its actions.`, "PLUGIN_DISABLED")
  const checked = declared.input ? validateAgainst(declared.input, input, "", "VALIDATION_FAILED") : input
  const outcome = await host.runAction(row.id, {
    action,
    input: checked,
    actor: { id: actor.id, username: actor.username, role: actor.role },
  })
  if (outcome === undefined)
    throw new PluginActionFailed("PLUGIN_UNAVAILABLE", 503, "The plugin runtime is not running on this control plane.")
  if (outcome.ok) return outcome.result ?? null
  throw new PluginActionFailed(outcome.code, outcome.status, outcome.message, outcome.field)
}
