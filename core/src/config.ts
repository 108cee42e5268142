// Turns the environment into a validated CoreConfig, or one clear line saying which variable is wrong.
import { CoreConfig, EnvConfigError, readEnvConfig } from "@streamspace/schemas"

export { EnvConfigError as ConfigError }

/** Secrets (JWT_SECRET, DATABASE_URL) are marked writeOnly in the shape: their values never reach an error. */
export const loadConfig = (env: Record<string, string | undefined>): CoreConfig => readEnvConfig(CoreConfig, env)
