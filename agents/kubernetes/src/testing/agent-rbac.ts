// Applies deploy/kubernetes/rbac.yaml (namespaces renamed for one test) and returns the agent
// service account's token, so tests run the agent with exactly the permissions the repo ships.
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { CoreV1Api, type KubeConfig, type KubernetesObject, KubernetesObjectApi, loadAllYaml } from "@kubernetes/client-node"
import { eventually } from "./eventually.ts"

export const RBAC_FILE = join(import.meta.dir, "..", "..", "..", "..", "deploy", "kubernetes", "rbac.yaml")

export interface RbacNamespaces {
  agentNamespace: string
  sessionNamespace: string
}

interface Rule {
  apiGroups?: string[]
  resources?: string[]
  verbs: string[]
}

/** The manifest's objects for these namespaces; `without` drops one verb of one resource (to show it is needed). */
export function rbacObjects(ns: RbacNamespaces, without?: { resource: string; verb: string }) {
  const text = readFileSync(RBAC_FILE, "utf8")
    .replaceAll(/\bstreamspace-sessions\b/g, ns.sessionNamespace)
    .replaceAll(/(name|namespace): streamspace$/gm, `$1: ${ns.agentNamespace}`)
  const objects = loadAllYaml(text) as (KubernetesObject & { kind: string; rules?: Rule[] })[]
  if (without)
    for (const o of objects)
      for (const rule of o.rules ?? [])
        if (rule.resources?.includes(without.resource)) rule.verbs = rule.verbs.filter((v) => v !== without.verb)
  return objects
}

export async function applyAgentRbac(
  admin: KubeConfig,
  ns: RbacNamespaces,
  without?: { resource: string; verb: string },
): Promise<string> {
  const api = KubernetesObjectApi.makeApiClient(admin)
  for (const object of rbacObjects(ns, without)) {
    try {
      await api.create(object)
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err
    }
  }
  // The token controller (controller-manager) makes a token Secret for the service account.
  const core = admin.makeApiClient(CoreV1Api)
  return eventually(async () => {
    const secrets = await core.listNamespacedSecret({ namespace: ns.agentNamespace })
    const secret = secrets.items.find(
      (s) =>
        s.type === "kubernetes.io/service-account-token" &&
        s.metadata?.annotations?.["kubernetes.io/service-account.name"] === "streamspace-agent",
    )
    const token = secret?.data?.token
    if (!token) throw new Error("the agent's service-account token is not there yet")
    return Buffer.from(token, "base64").toString("utf8")
  }, 30_000)
}
