// The plugin host's errors: install refusals, policy denials and an unavailable marketplace, each with a stable code.
import type { FieldError } from "@streamspace/schemas"
import { AppError } from "../../http/errors.ts"

/** An install, grant or config the host cannot accept; the field names what to change. */
export class PluginRejected extends AppError {
  readonly status = 422
  readonly title = "Plugin rejected"
  constructor(
    readonly code: string,
    detail: string,
    errors?: FieldError[],
  ) {
    super(detail, errors)
  }
}

export class MarketplaceUnavailable extends AppError {
  readonly code = "MARKETPLACE_UNAVAILABLE"
  readonly status = 503
  readonly title = "Marketplace unavailable"
}

/**
 * A plugin said no to an action. A quota is a conflict the user can resolve (stop something);
 * any other refusal is a policy the user cannot change.
 */
export class DeniedByPlugin extends AppError {
  readonly status: number
  readonly title = "Denied by policy"
  constructor(
    readonly code: string,
    detail: string,
  ) {
    super(detail)
    this.status = code === "QUOTA_EXCEEDED" ? 409 : 403
  }
}

/** A fail-closed hook could not get an answer: the action is refused until the plugin is back. */
export class PluginUnavailable extends AppError {
  readonly code = "PLUGIN_UNAVAILABLE"
  readonly status = 503
  readonly title = "Policy plugin unavailable"
}
