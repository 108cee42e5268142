// Turns the environment into a validated CoreConfig, or one clear line saying which variable is wrong.
import { CoreConfig, EnvConfigError, readEnvConfig } from "@streamspace/schemas"

export { EnvConfigError as ConfigError }

/** Secrets (JWT_SECRET, DATABASE_URL, PLUGIN_SECRETS_KEY) are marked writeOnly in the shape: their values never reach an error. */
export const loadConfig = (env: Record<string, string | undefined>): CoreConfig => {
  const config = readEnvConfig(CoreConfig, env)
  // A generated key lives in one replica's DATA_DIR; the others could not read what it encrypted.
  if (config.REDIS_URL && !config.PLUGIN_SECRETS_KEY)
    throw new EnvConfigError(
      "Invalid configuration: PLUGIN_SECRETS_KEY is required with REDIS_URL — every replica must encrypt plugin secrets with the same key (openssl rand -hex 32)",
    )
  return config
}
