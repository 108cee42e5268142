// Sessions and their lifecycle. The transition table is the one source of truth for states.
import { type Static, Type } from "@sinclair/typebox"
import { Nullable, Timestamp, Uuid } from "./common.ts"
import { Resources } from "./template.ts"

export const SESSION_STATES = [
  "pending",
  "starting",
  "running",
  "hibernating",
  "hibernated",
  "waking",
  "stopping",
  "stopped",
  "failed",
] as const
export const SessionState = Type.Union([
  Type.Literal("pending"),
  Type.Literal("starting"),
  Type.Literal("running"),
  Type.Literal("hibernating"),
  Type.Literal("hibernated"),
  Type.Literal("waking"),
  Type.Literal("stopping"),
  Type.Literal("stopped"),
  Type.Literal("failed"),
])
export type SessionState = (typeof SESSION_STATES)[number]

/** Which state may follow which. Anything not listed is refused. */
export const SESSION_TRANSITIONS: Readonly<Record<SessionState, readonly SessionState[]>> = {
  pending: ["starting", "stopping", "stopped", "failed"],
  starting: ["running", "stopping", "failed"],
  running: ["hibernating", "stopping", "failed"],
  hibernating: ["hibernated", "stopping", "failed"],
  hibernated: ["waking", "stopping", "failed"],
  waking: ["running", "stopping", "failed"],
  stopping: ["stopped", "failed"],
  stopped: [],
  failed: ["stopping", "stopped"],
}

export const canTransition = (from: SessionState, to: SessionState): boolean => SESSION_TRANSITIONS[from].includes(to)

/** States in which a session holds (or is about to hold) a workload on an agent. */
export const ACTIVE_STATES: readonly SessionState[] = SESSION_STATES.filter((s) => s !== "stopped" && s !== "failed")
export const isTerminal = (state: SessionState): boolean => state === "stopped" || state === "failed"

export const Session = Type.Object({
  id: Uuid,
  userId: Uuid,
  templateId: Nullable(Uuid),
  templateName: Type.String(),
  state: SessionState,
  reason: Nullable(Type.String({ description: "Why the session failed or stopped, when known" })),
  agentId: Nullable(Uuid),
  resources: Resources,
  createdAt: Timestamp,
  updatedAt: Timestamp,
  startedAt: Nullable(Timestamp),
  stoppedAt: Nullable(Timestamp),
  lastActivityAt: Nullable(Timestamp),
})
export type Session = Static<typeof Session>

export const CreateSession = Type.Object(
  {
    templateId: Uuid,
    resources: Type.Optional(Type.Partial(Resources, { additionalProperties: false })),
  },
  { additionalProperties: false },
)
export type CreateSession = Static<typeof CreateSession>

export const SessionQuery = Type.Object({
  state: Type.Optional(SessionState),
  userId: Type.Optional(Uuid),
  all: Type.Optional(Type.Boolean({ description: "Admins: list every user's sessions" })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  offset: Type.Optional(Type.Integer({ minimum: 0 })),
})
export type SessionQuery = Static<typeof SessionQuery>
