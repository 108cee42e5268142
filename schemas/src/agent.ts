// Agents as the control plane records them. The token is shown once and stored hashed.
import { type Static, Type } from "@sinclair/typebox"
import { Nullable, Timestamp, Uuid } from "./common.ts"

export const Platform = Type.Union([Type.Literal("docker"), Type.Literal("kubernetes")])
export type Platform = Static<typeof Platform>

export const AgentStatus = Type.Union([Type.Literal("online"), Type.Literal("offline"), Type.Literal("revoked")])
export type AgentStatus = Static<typeof AgentStatus>

export const Capacity = Type.Object({
  maxSessions: Type.Integer({ minimum: 0 }),
  runningSessions: Type.Integer({ minimum: 0 }),
  cpu: Type.Optional(Type.Number({ minimum: 0, description: "Cores the agent may hand out" })),
  memory: Type.Optional(Type.Integer({ minimum: 0, description: "MiB the agent may hand out" })),
})
export type Capacity = Static<typeof Capacity>

export const AgentName = Type.String({ minLength: 2, maxLength: 63, pattern: "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$" })

export const Agent = Type.Object({
  id: Uuid,
  name: AgentName,
  platform: Platform,
  cluster: Type.String(),
  status: AgentStatus,
  version: Nullable(Type.String()),
  capacity: Nullable(Capacity),
  leaderInstance: Nullable(Type.String({ description: "Instance id of the replica that leads" })),
  lastHeartbeatAt: Nullable(Timestamp),
  createdAt: Timestamp,
  tokenRotatedAt: Timestamp,
})
export type Agent = Static<typeof Agent>

export const RegisterAgent = Type.Object(
  {
    name: AgentName,
    platform: Platform,
    cluster: Type.Optional(Type.String({ minLength: 1, maxLength: 63, default: "default" })),
  },
  { additionalProperties: false },
)
export type RegisterAgent = Static<typeof RegisterAgent>

export const AgentWithToken = Type.Composite([Agent, Type.Object({ token: Type.String() })])
export type AgentWithToken = Static<typeof AgentWithToken>
