// Decodes and checks protocol v1 text frames on either side of the agent connection (compiled TypeBox checks).
import type { TSchema } from "@sinclair/typebox"
import { TypeCompiler, type TypeCheck } from "@sinclair/typebox/compiler"
import { registerFormats } from "./formats.ts"
import { AgentMessage, CoreMessage, MAX_CONTROL_FRAME_BYTES } from "./protocol.ts"

// Agents load no web framework that would register the formats for them.
registerFormats()

export type Decoded<T> = { ok: true; message: T } | { ok: false; error: string }

const encoder = new TextEncoder()
/** UTF-8 length, computed only when the UTF-16 length leaves room for doubt. */
const byteLength = (text: string) => (text.length * 3 <= MAX_CONTROL_FRAME_BYTES ? text.length : encoder.encode(text).byteLength)

interface Members {
  anyOf: TSchema[]
}

/**
 * Checks the `type` first, then that one message's shape: the error then names the exact field
 * ("heartbeat: /capacity/maxSessions expected integer") instead of "expected union value".
 */
function codecFor<T>(union: Members, side: string) {
  const checks = new Map<string, TypeCheck<TSchema>>()
  for (const member of union.anyOf) {
    const type = (member.properties as { type: { const: string } }).type.const
    checks.set(type, TypeCompiler.Compile(member))
  }
  return (text: string): Decoded<T> => {
    if (byteLength(text) > MAX_CONTROL_FRAME_BYTES)
      return { ok: false, error: `text frame exceeds the limit of ${MAX_CONTROL_FRAME_BYTES} bytes` }
    let value: unknown
    try {
      value = JSON.parse(text)
    } catch {
      return { ok: false, error: "text frame is not JSON" }
    }
    if (typeof value !== "object" || value === null || Array.isArray(value))
      return { ok: false, error: "frame is not a JSON object" }
    const type = (value as { type?: unknown }).type
    if (typeof type !== "string") return { ok: false, error: "frame has no string `type`" }
    const check = checks.get(type)
    if (!check) return { ok: false, error: `unknown ${side} message type ${JSON.stringify(type.slice(0, 40))}` }
    if (!check.Check(value)) {
      const issue = check.Errors(value).First()
      return { ok: false, error: `${type}: ${issue?.path || "/"} ${issue?.message.toLowerCase() ?? "is not valid"}` }
    }
    return { ok: true, message: value as T }
  }
}

/** Core side: what an agent sent. */
export const decodeAgentMessage = codecFor<AgentMessage>(AgentMessage, "agent")
/** Agent side: what the core sent. */
export const decodeCoreMessage = codecFor<CoreMessage>(CoreMessage, "core")
