// What every feature module receives: built once in createApp, never read from globals.
import type { Database, RootSql } from "./infra/db/connect.ts"
import type { Logger } from "./infra/log.ts"
import type { PrincipalResolver } from "./modules/identity/principal.ts"
import type { TokenService } from "./modules/identity/tokens.ts"
import type { AgentConnections } from "./modules/agents/ports.ts"
import type { AuthPolicy } from "./modules/auth/ports.ts"
import type { SessionPolicy, SessionScheduler } from "./modules/sessions/ports.ts"

export interface CoreDeps {
  db: Database
  sql: RootSql
  log: Logger
  tokens: TokenService
  principals: PrincipalResolver
  scheduler?: SessionScheduler
  sessionPolicy?: SessionPolicy
  agentConnections?: AgentConnections
  /** The auth plugin, asked at sign-in and refresh; absent → sign-in routes answer 503. */
  authPolicy?: AuthPolicy
  /** The event dispatcher: woken when dead letters are replayed. */
  events?: { wake(): void }
}
