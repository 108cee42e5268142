// Platform events: every type, its data, the envelope plugins and the portal's stream receive, dead letters.
import { type Static, Type } from "@sinclair/typebox"
import { Nullable, Timestamp, Uuid } from "./common.ts"

/** Every event the core appends to its outbox. Plugins subscribe by type or prefix (`session.*`). */
export const EVENT_TYPES = [
  "session.created",
  "session.starting",
  "session.started",
  "session.stopping",
  "session.stopped",
  "session.hibernating",
  "session.hibernated",
  "session.waking",
  "session.woken",
  "session.failed",
  "session.deleted",
  "session.idle_warning",
  "session.idle_warning_cleared",
  "user.created",
  "user.signed_in",
  "user.signed_out",
  "agent.connected",
  "agent.disconnected",
  "quota.denied",
  "plugin.failed",
] as const
export type EventType = (typeof EVENT_TYPES)[number]
export const EventTypeSchema = Type.Union(EVENT_TYPES.map((t) => Type.Literal(t)))

const Reason = Type.Optional(Nullable(Type.String({ maxLength: 2000 })))

export const SessionEventData = Type.Object({
  sessionId: Uuid,
  /** The session's owner: who may see the event besides admins and share holders. */
  userId: Uuid,
  templateId: Type.Optional(Uuid),
  /** State changes: the agent the session is placed on, once it is. */
  agentId: Type.Optional(Nullable(Uuid)),
  reason: Reason,
})
export const IdleWarningData = Type.Object({
  sessionId: Uuid,
  userId: Uuid,
  action: Type.Union([Type.Literal("hibernate"), Type.Literal("stop")]),
  /** When the action happens unless a viewer sends input first. */
  deadline: Timestamp,
  reason: Type.String({ maxLength: 2000 }),
})
export const UserEventData = Type.Object({
  userId: Uuid,
  username: Type.Optional(Type.String()),
  role: Type.Optional(Type.String()),
  /** user.signed_in: password, oidc or refresh. */
  method: Type.Optional(Type.String()),
})
export const AgentEventData = Type.Object({
  agentId: Uuid,
  name: Type.String(),
  instanceId: Type.Optional(Type.String()),
  reason: Reason,
})
export const QuotaDeniedData = Type.Object({
  userId: Uuid,
  templateId: Uuid,
  code: Type.String(),
  reason: Type.String(),
  pluginId: Type.Optional(Type.String()),
})
export const PluginFailedData = Type.Object({
  installId: Uuid,
  pluginId: Type.String(),
  code: Type.String(),
  message: Type.String(),
})

/** The data each event type carries (a consumer may rely on these fields; more may be added). */
export interface EventDataMap {
  "session.created": Static<typeof SessionEventData>
  "session.starting": Static<typeof SessionEventData>
  "session.started": Static<typeof SessionEventData>
  "session.stopping": Static<typeof SessionEventData>
  "session.stopped": Static<typeof SessionEventData>
  "session.hibernating": Static<typeof SessionEventData>
  "session.hibernated": Static<typeof SessionEventData>
  "session.waking": Static<typeof SessionEventData>
  "session.woken": Static<typeof SessionEventData>
  "session.failed": Static<typeof SessionEventData>
  "session.deleted": Static<typeof SessionEventData>
  "session.idle_warning": Static<typeof IdleWarningData>
  "session.idle_warning_cleared": Static<typeof SessionEventData>
  "user.created": Static<typeof UserEventData>
  "user.signed_in": Static<typeof UserEventData>
  "user.signed_out": Static<typeof UserEventData>
  "agent.connected": Static<typeof AgentEventData>
  "agent.disconnected": Static<typeof AgentEventData>
  "quota.denied": Static<typeof QuotaDeniedData>
  "plugin.failed": Static<typeof PluginFailedData>
}

/**
 * One event as plugins (event handlers) and the portal's stream receive it. `id` is unique and
 * increasing in commit order mostly, not strictly: order by `at` where it matters. Delivery is at
 * least once, so a consumer dedupes by `id`.
 */
export const StreamSpaceEvent = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 128 }),
  type: Type.String({ minLength: 1, maxLength: 128, description: "One of EVENT_TYPES" }),
  at: Timestamp,
  data: Type.Record(Type.String(), Type.Unknown()),
})
export type StreamSpaceEvent = Static<typeof StreamSpaceEvent>
/** The same envelope with the data typed by the event's type. */
export type TypedEvent<T extends EventType = EventType> = {
  [K in T]: { id: string; type: K; at: string; data: EventDataMap[K] }
}[T]

export const DeliveryStatus = Type.Union([Type.Literal("pending"), Type.Literal("delivered"), Type.Literal("dead")])

/** A delivery that ran out of attempts: the admin sees it and may replay it. */
export const DeadLetter = Type.Object({
  eventId: Type.String(),
  installId: Uuid,
  pluginId: Type.String(),
  event: StreamSpaceEvent,
  attempts: Type.Integer({ minimum: 0 }),
  lastError: Nullable(Type.Object({ code: Type.String(), message: Type.String() })),
  deadAt: Timestamp,
})
export type DeadLetter = Static<typeof DeadLetter>

export const DeadLetterQuery = Type.Object({
  installId: Type.Optional(Uuid),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0 })),
})
export type DeadLetterQuery = Static<typeof DeadLetterQuery>
export const DeadLetterParams = Type.Object({ eventId: Type.String({ pattern: "^[0-9]{1,19}$" }), installId: Uuid })
export const ReplayQuery = Type.Object({ installId: Type.Optional(Uuid) })
export const ReplayResult = Type.Object({ replayed: Type.Integer({ minimum: 0 }) })

/** Single-use, short-lived: EventSource cannot send an Authorization header, so the stream URL carries this. */
export const EventStreamTicket = Type.Object({
  ticket: Type.String(),
  expiresAt: Timestamp,
  url: Type.String({ description: "Open with new EventSource(url) within the ticket's lifetime" }),
})
export type EventStreamTicket = Static<typeof EventStreamTicket>
export const EventStreamQuery = Type.Object({
  ticket: Type.Optional(Type.String({ maxLength: 512 })),
  /** Resume after this event id (what EventSource sends as Last-Event-ID; the header wins). */
  lastEventId: Type.Optional(Type.String({ pattern: "^[0-9]{1,19}$" })),
})
