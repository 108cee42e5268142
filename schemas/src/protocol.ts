// Agent protocol v1: JSON text frames for control, binary frames (see stream-frame.ts) for stream bytes.
import { type Static, Type } from "@sinclair/typebox"
import { Platform, Capacity } from "./agent.ts"
import { Resources } from "./template.ts"
import { SessionState } from "./session.ts"
import { Uuid } from "./common.ts"

export const PROTOCOL_VERSION = 1
/** Largest text frame either side accepts; a bigger one closes the connection. */
export const MAX_CONTROL_FRAME_BYTES = 256 * 1024

const msg = <T extends string, P extends Parameters<typeof Type.Object>[0]>(type: T, props: P) =>
  Type.Object({ type: Type.Literal(type), ...props }, { additionalProperties: false })

export const SessionReport = Type.Object({
  sessionId: Uuid,
  state: SessionState,
  reason: Type.Optional(Type.String({ maxLength: 2000 })),
})
export type SessionReport = Static<typeof SessionReport>

/** What an agent needs to run one session; sent with session.start and session.wake. */
export const SessionSpec = Type.Object({
  sessionId: Uuid,
  userId: Uuid,
  username: Type.String(),
  templateName: Type.String(),
  image: Type.String(),
  vncPort: Type.Integer({ minimum: 1, maximum: 65535 }),
  resources: Resources,
  env: Type.Record(Type.String(), Type.String()),
  homePath: Type.String(),
  allowOutbound: Type.Boolean(),
})
export type SessionSpec = Static<typeof SessionSpec>

export const CommandAction = Type.Union([
  Type.Literal("session.start"),
  Type.Literal("session.stop"),
  Type.Literal("session.hibernate"),
  Type.Literal("session.wake"),
  Type.Literal("session.list"),
])
export type CommandAction = Static<typeof CommandAction>

/**
 * The leadership term of an agent replica that won its election (optional: agents without election send none).
 * Terms only grow; the core keeps the highest one per agent and refuses writes from a connection with a lower one.
 */
export const FencingToken = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER })

// ---- agent → core ----
export const Hello = msg("hello", {
  protocol: Type.Literal(PROTOCOL_VERSION),
  instanceId: Type.String({ minLength: 1, maxLength: 128, description: "One replica of the agent" }),
  platform: Platform,
  cluster: Type.String({ maxLength: 63 }),
  version: Type.String({ maxLength: 64 }),
  capacity: Capacity,
  leader: Type.Boolean(),
  fencingToken: Type.Optional(FencingToken),
})
export const Heartbeat = msg("heartbeat", {
  capacity: Capacity,
  leader: Type.Boolean(),
  fencingToken: Type.Optional(FencingToken),
  sessions: Type.Array(SessionReport, { maxItems: 10000 }),
})
export const CommandAck = msg("command.ack", { commandId: Uuid })
export const CommandResult = msg("command.result", {
  commandId: Uuid,
  result: Type.Record(Type.String(), Type.Unknown()),
})
export const CommandError = msg("command.error", {
  commandId: Uuid,
  code: Type.String({ maxLength: 64 }),
  message: Type.String({ maxLength: 4000 }),
  retryable: Type.Boolean(),
})
export const SessionStatus = msg("session.status", SessionReport.properties)
export const LeaderChanged = msg("leader.changed", { leader: Type.Boolean(), fencingToken: Type.Optional(FencingToken) })
export const StreamOpened = msg("stream.opened", {
  streamId: Type.Integer({ minimum: 1, maximum: 0xffffffff }),
  /** Bytes the core may send on this stream before it waits for more credit. */
  credit: Type.Integer({ minimum: 1 }),
})
export const StreamClosedByAgent = msg("stream.close", {
  streamId: Type.Integer({ minimum: 1, maximum: 0xffffffff }),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
})

export const AgentMessage = Type.Union([
  Hello,
  Heartbeat,
  CommandAck,
  CommandResult,
  CommandError,
  SessionStatus,
  LeaderChanged,
  StreamOpened,
  StreamClosedByAgent,
])
export type AgentMessage = Static<typeof AgentMessage>

// ---- core → agent ----
export const Welcome = msg("welcome", {
  agentId: Uuid,
  heartbeatIntervalMs: Type.Integer({ minimum: 100 }),
  /**
   * Sessions the control plane places on this agent, with their recorded state: the agent
   * reconciles against them (adopts live ones, reports vanished ones, removes the rest).
   */
  sessions: Type.Array(Type.Object({ sessionId: Uuid, state: SessionState }), { maxItems: 10000 }),
})
export const Command = msg("command", {
  commandId: Uuid,
  action: CommandAction,
  sessionId: Type.Optional(Uuid),
  spec: Type.Optional(SessionSpec),
  deadlineMs: Type.Integer({ minimum: 1 }),
})
export const StreamOpen = msg("stream.open", {
  streamId: Type.Integer({ minimum: 1, maximum: 0xffffffff }),
  sessionId: Uuid,
  /** Bytes the agent may send before it waits for more credit. */
  credit: Type.Integer({ minimum: 1 }),
})
export const StreamClose = msg("stream.close", {
  streamId: Type.Integer({ minimum: 1, maximum: 0xffffffff }),
  reason: Type.Optional(Type.String({ maxLength: 500 })),
})
export const Ping = msg("ping", { at: Type.Integer() })

export const CoreMessage = Type.Union([Welcome, Command, StreamOpen, StreamClose, Ping])
export type CoreMessage = Static<typeof CoreMessage>

export type Hello = Static<typeof Hello>
export type Welcome = Static<typeof Welcome>
export type StreamOpen = Static<typeof StreamOpen>
export type Heartbeat = Static<typeof Heartbeat>
export type Command = Static<typeof Command>
export type CommandResult = Static<typeof CommandResult>
export type CommandError = Static<typeof CommandError>
