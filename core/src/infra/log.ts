// The one logger: pino JSON on stdout, no transports (they break `bun build --compile`).
import pino, { type Logger } from "pino"

export type { Logger }

export const createLogger = (level: string): Logger =>
  pino({
    level,
    base: { service: "core" },
    // Never let a credential reach the log, wherever it hides in a logged object.
    redact: {
      paths: ["*.password", "*.token", "*.secret", "*.authorization", "req.headers.authorization", "*.ticket"],
      censor: "[redacted]",
    },
  })
