// The files in deploy/kubernetes exactly as written, and a create that sends them so. client-node's
// loadAllYaml and KubernetesObjectApi pass objects through its typed models, which silently drop a
// field they do not know: a misspelled field would vanish before any check or apiserver saw it.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import type { KubernetesObject } from "@kubernetes/client-node"
import type { KubeCluster } from "./kube-cluster.ts"

export const DEPLOY_DIR = join(import.meta.dir, "..", "..", "..", "..", "deploy", "kubernetes")

export type Manifest = KubernetesObject & { apiVersion: string; kind: string } & Record<string, unknown>

export function readManifest(file: string): Manifest[] {
  return [Bun.YAML.parse(readFileSync(join(DEPLOY_DIR, file), "utf8"))].flat() as Manifest[]
}

/** POSTs the object as it is (the resource's path from the apiserver's discovery); throws with the apiserver's message. */
export async function createAsIs(cluster: KubeCluster, object: Manifest): Promise<void> {
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${cluster.server}${path}`, {
      method,
      headers: { authorization: `Bearer ${cluster.adminToken}`, "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      tls: { ca: cluster.caPem },
    })
    const answer = (await res.json()) as { message?: string; resources?: { name: string; kind: string; namespaced: boolean }[] }
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${answer.message ?? ""}`)
    return answer
  }
  const base = object.apiVersion.includes("/") ? `/apis/${object.apiVersion}` : `/api/${object.apiVersion}`
  const resource = (await call("GET", base)).resources?.find((r) => r.kind === object.kind && !r.name.includes("/"))
  if (!resource) throw new Error(`${object.apiVersion} serves no ${object.kind}`)
  const namespace = object.metadata?.namespace
  await call("POST", `${base}${resource.namespaced ? `/namespaces/${namespace}` : ""}/${resource.name}`, object)
}
