// Checks manifests against the apiserver's own OpenAPI (v2) schema, as `kubectl apply --validate` does:
// a 1.20 apiserver has no strict field validation and silently drops a field it does not know, so a
// misspelled `readOnlyRootFileSystem` would be accepted and do nothing.
import type { KubernetesObject } from "@kubernetes/client-node"
import type { KubeCluster } from "./kube-cluster.ts"

interface Schema {
  $ref?: string
  type?: string
  format?: string
  properties?: Record<string, Schema>
  required?: string[]
  items?: Schema
  additionalProperties?: Schema | boolean
  "x-kubernetes-group-version-kind"?: { group: string; version: string; kind: string }[]
}

export type OpenApiCheck = (object: KubernetesObject) => string[]

/** Fetches the schema once; the check lists every problem of an object as `Kind.path: what is wrong`. */
export async function openApiCheck(cluster: KubeCluster): Promise<OpenApiCheck> {
  const res = await fetch(`${cluster.server}/openapi/v2`, {
    headers: { authorization: `Bearer ${cluster.adminToken}` },
    tls: { ca: cluster.caPem },
  })
  if (!res.ok) throw new Error(`GET /openapi/v2 answered ${res.status}`)
  const definitions = ((await res.json()) as { definitions: Record<string, Schema> }).definitions
  const byKind = new Map<string, Schema>()
  for (const schema of Object.values(definitions))
    for (const gvk of schema["x-kubernetes-group-version-kind"] ?? [])
      byKind.set(`${gvk.group ? `${gvk.group}/` : ""}${gvk.version} ${gvk.kind}`, schema)
  const resolve = (schema: Schema): Schema =>
    schema.$ref ? resolve(definitions[schema.$ref.replace("#/definitions/", "")] ?? {}) : schema

  const check = (value: unknown, schema: Schema, path: string, problems: string[]): void => {
    const s = resolve(schema)
    const kind = Array.isArray(value) ? "array" : value === null ? "null" : typeof value
    if (s.format === "int-or-string") {
      if (kind !== "string" && !Number.isInteger(value)) problems.push(`${path}: expected an integer or a string, got ${kind}`)
    } else if (s.properties || s.type === "object") {
      if (kind !== "object") return void problems.push(`${path}: expected an object, got ${kind}`)
      const fields = value as Record<string, unknown>
      for (const name of s.required ?? []) if (!(name in fields)) problems.push(`${path}: missing required field "${name}"`)
      for (const [name, field] of Object.entries(fields)) {
        const sub = s.properties?.[name] ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined)
        if (sub) check(field, sub, `${path}.${name}`, problems)
        else problems.push(`${path}: unknown field "${name}"`)
      }
    } else if (s.type === "array") {
      if (!Array.isArray(value)) return void problems.push(`${path}: expected an array, got ${kind}`)
      value.forEach((item, i) => {
        check(item, s.items ?? {}, `${path}[${i}]`, problems)
      })
    } else if (s.type === "integer" ? !Number.isInteger(value) : s.type !== undefined && s.type !== kind) {
      problems.push(`${path}: expected ${s.type}, got ${kind} ${JSON.stringify(value)}`)
    }
  }

  return (object) => {
    const schema = byKind.get(`${object.apiVersion} ${object.kind}`)
    if (!schema) return [`${object.kind}: this apiserver serves no ${object.apiVersion} ${object.kind}`]
    const problems: string[] = []
    check(object, schema, object.kind ?? "object", problems)
    return problems
  }
}
