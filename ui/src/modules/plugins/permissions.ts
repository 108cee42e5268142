// A plugin's permissions in words, so an admin sees what they grant before installing it.
import type { PluginPermissions } from "@streamspace/schemas"

export function describePermissions(p: PluginPermissions): string[] {
  const lines: string[] = []
  if (p.sessions) lines.push(p.sessions === "write" ? "Read and change sessions" : "Read sessions")
  if (p.users) lines.push(p.users === "write" ? "Read and change users" : "Read users")
  if (p.http?.allow.length) lines.push(`Fetch from ${p.http.allow.join(", ")}`)
  if (p.kv) lines.push(`Store up to ${Math.ceil(p.kv.quotaBytes / 1024)} KiB of its own data`)
  if (p.secrets?.length) lines.push(`Read the secrets ${p.secrets.join(", ")}`)
  if (p.secretStore) lines.push(`Keep up to ${p.secretStore.maxSecrets} secrets of its own, encrypted`)
  if (p.crypto) lines.push("Hash passwords, sign with HMAC, draw random bytes")
  return lines
}
