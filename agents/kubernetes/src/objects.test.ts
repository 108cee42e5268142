import { describe, expect, test } from "bun:test"
import type { SessionSpec } from "@streamspace/schemas"
import { LABEL, homeClaimName, sessionObjectName } from "./naming.ts"
import {
  cpuQuantity,
  deploymentFor,
  homeClaimFor,
  memoryQuantity,
  networkPolicyFor,
  type ObjectPlan,
  vncSecretFor,
} from "./objects.ts"

const spec: SessionSpec = {
  sessionId: "0b7c6f7e-1111-4a2b-8c3d-9e0f1a2b3c4d",
  userId: "5d6e7f80-2222-4a2b-8c3d-9e0f1a2b3c4d",
  username: "ada",
  templateName: "firefox",
  image: "streamspace/desktop:latest",
  vncPort: 5901,
  resources: { cpu: 0.5, memory: 512 },
  env: { LANG: "C.UTF-8", VNC_PASSWORD: "from-the-template" },
  homePath: "/home/user",
  allowOutbound: false,
}
const plan: ObjectPlan = {
  agentName: "k8s-a",
  namespace: "sessions",
  homeSize: "2Gi",
  storageClass: "fast",
  agentPodLabels: { "app.kubernetes.io/name": "streamspace-agent" },
}

describe("object builders", () => {
  test("the Deployment runs one replica, labelled for session, user and template, with the template's requests and limits", () => {
    const d = deploymentFor(spec, plan)
    expect(d.metadata?.name).toBe(`ss-${spec.sessionId}`)
    expect(d.metadata?.labels).toMatchObject({
      [LABEL.session]: spec.sessionId,
      [LABEL.user]: spec.userId,
      [LABEL.template]: "firefox",
      [LABEL.agent]: "k8s-a",
    })
    expect(d.spec?.replicas).toBe(1)
    expect(d.spec?.strategy?.type).toBe("Recreate")
    expect(d.spec?.selector.matchLabels?.[LABEL.session]).toBe(spec.sessionId)
    const pod = d.spec?.template.spec
    expect(pod?.automountServiceAccountToken).toBe(false)
    const c = pod?.containers[0]
    expect(c?.resources?.requests).toEqual({ cpu: "500m", memory: "512Mi" })
    expect(c?.resources?.limits).toEqual({ cpu: "500m", memory: "512Mi" })
    expect(c?.ports?.[0]?.containerPort).toBe(5901)
    expect(c?.volumeMounts?.[0]).toEqual({ name: "home", mountPath: "/home/user" })
    expect(pod?.volumes?.[0]?.persistentVolumeClaim?.claimName).toBe(homeClaimName("k8s-a", spec.userId, "firefox"))
  })

  test("the VNC password reaches the pod only through the session's Secret; a template cannot set it", () => {
    const env = deploymentFor(spec, plan).spec?.template.spec?.containers[0]?.env ?? []
    const vnc = env.filter((e) => e.name === "VNC_PASSWORD")
    expect(vnc).toHaveLength(1)
    expect(vnc[0]?.value).toBeUndefined()
    expect(vnc[0]?.valueFrom?.secretKeyRef).toEqual({ name: sessionObjectName(spec.sessionId), key: "vnc-password" })
    expect(env.find((e) => e.name === "LANG")?.value).toBe("C.UTF-8")
    expect(vncSecretFor(spec, plan, "pw123456").stringData).toEqual({ "vnc-password": "pw123456" })
  })

  test("the home claim is one per user and template, carries no session label and uses the configured class and size", () => {
    const claim = homeClaimFor(spec, plan)
    expect(claim.metadata?.name).toBe(homeClaimName("k8s-a", spec.userId, "firefox"))
    expect(claim.metadata?.labels?.[LABEL.session]).toBeUndefined()
    expect(claim.spec?.storageClassName).toBe("fast")
    expect(claim.spec?.resources?.requests?.storage).toBe("2Gi")
    expect(homeClaimFor(spec, { ...plan, storageClass: undefined }).spec).not.toHaveProperty("storageClassName")
    expect(homeClaimName("k8s-a", spec.userId, "firefox")).not.toBe(homeClaimName("k8s-a", spec.userId, "gimp"))
    expect(homeClaimName("k8s-a", spec.userId, "firefox")).toMatch(/^home-[0-9a-f]{24}$/)
  })

  test("the NetworkPolicy admits only the agent's pods, only to the VNC port, and blocks egress without allowOutbound", () => {
    const p = networkPolicyFor(spec, plan).spec
    expect(p?.podSelector?.matchLabels?.[LABEL.session]).toBe(spec.sessionId)
    expect(p?.ingress).toEqual([
      { _from: [{ podSelector: { matchLabels: plan.agentPodLabels } }], ports: [{ protocol: "TCP", port: 5901 }] },
    ])
    expect(p?.policyTypes).toEqual(["Ingress", "Egress"])
    expect(p?.egress).toEqual([])
    const open = networkPolicyFor({ ...spec, allowOutbound: true }, { ...plan, agentNamespace: "streamspace" }).spec
    expect(open?.policyTypes).toEqual(["Ingress"])
    expect(open?.egress).toBeUndefined()
    expect(open?.ingress?.[0]?._from?.[0]?.namespaceSelector?.matchLabels).toEqual({
      "kubernetes.io/metadata.name": "streamspace",
    })
  })

  test("quantities are whole millicores and MiB", () => {
    expect(cpuQuantity(0.25)).toBe("250m")
    expect(cpuQuantity(2)).toBe("2000m")
    expect(cpuQuantity(0.0001)).toBe("1m")
    expect(memoryQuantity(64)).toBe("64Mi")
  })
})
