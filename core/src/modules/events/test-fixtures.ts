// A recorder plugin for the events tests: keeps what it received in its KV, and refuses on purpose when told.
import type { PluginManifest } from "@streamspace/schemas"
import type { TestCore, TestUser } from "../../testing/test-core.ts"

export const recorderManifest = (id: string, events: string[]): PluginManifest => ({
  id,
  version: "1.0.0",
  hostApi: "^1.0.0",
  hooks: [{ name: "plugin.action", failMode: "closed" }],
  actions: [{ name: "seen", description: "What the recorder received", readOnly: true }],
  events,
  permissions: { kv: { quotaBytes: 1024 * 1024 } },
  limits: { memoryMb: 16, hookTimeoutMs: 2000 },
  configSchema: {
    type: "object",
    properties: { failTimes: { type: "integer", minimum: 0, default: 0 } },
    additionalProperties: false,
  } as PluginManifest["configSchema"],
})

/**
 * Counts tries per event; the first `failTimes` of each throw, later ones append the event to `seen`,
 * which the read-only admin action `seen` answers (GET /api/v1/plugins/:id/actions/seen).
 */
export const recorderBundle = (id: string) => `
import { kv, config } from "host:api"
export default { hooks: { "plugin.action": async () => ({ ok: true, result: (await kv.get("seen")) ?? [] }) }, events: { "*": async (event) => {
  const tries = ((await kv.get("tries:" + event.id)) ?? 0) + 1
  await kv.set("tries:" + event.id, tries)
  if (tries <= config.failTimes) throw new Error("refusing event " + event.id + " on try " + tries)
  const seen = (await kv.get("seen")) ?? []
  seen.push({ id: event.id, type: event.type, data: event.data })
  await kv.set("seen", seen)
} } }
// ${id}
`

export async function installRecorder(admin: TestUser, id: string, events: string[], failTimes = 0) {
  const res = await admin.fetch("/api/v1/plugins", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      source: "upload",
      manifest: recorderManifest(id, events),
      bundle: recorderBundle(id),
      grant: { kv: { quotaBytes: 1024 * 1024 } },
      config: { failTimes },
    }),
  })
  if (res.status !== 201) throw new Error(`install failed: ${res.status} ${await res.text()}`)
  return ((await res.json()) as { id: string }).id
}

export interface Seen {
  id: string
  type: string
  data: Record<string, unknown>
}

/** What the recorder has received so far, read from its KV row. */
export async function seenBy(core: TestCore, installId: string): Promise<Seen[]> {
  const [row] = await core.db.sql<
    { value: Seen[] }[]
  >`select value from plugin_kv where install_id = ${installId} and key = 'seen'`
  return row?.value ?? []
}

export async function triesOf(core: TestCore, installId: string, eventId: string): Promise<number> {
  const [row] = await core.db.sql<{ value: number }[]>`select value from plugin_kv
    where install_id = ${installId} and key = ${`tries:${eventId}`}`
  return row?.value ?? 0
}
