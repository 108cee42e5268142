import { expect, test } from "bun:test"
import { ApiException } from "@kubernetes/client-node"
import { type DriverErrorCode, fromKube, kubeMessage } from "./errors.ts"

const status = (code: number, message: string) =>
  new ApiException(code, "failed", { kind: "Status", apiVersion: "v1", status: "Failure", message, code }, {})

test("API failures map to stable codes, with the apiserver's words and whether a retry may help", () => {
  const cases: [number, DriverErrorCode, boolean][] = [
    [401, "KUBE_UNAUTHORIZED", false],
    [403, "KUBE_FORBIDDEN", false],
    [404, "SESSION_NOT_FOUND", false],
    [409, "KUBE_CONFLICT", true],
    [422, "KUBE_INVALID", false],
    [429, "KUBE_THROTTLED", true],
    [500, "KUBE_ERROR", true],
    [503, "KUBE_ERROR", true],
  ]
  for (const [code, expected, retryable] of cases) {
    const mapped = fromKube(status(code, `server says ${code}`), "creating the Deployment")
    expect([code, mapped.code, mapped.retryable]).toEqual([code, expected, retryable])
    expect(mapped.message).toContain(`server says ${code}`)
    expect(mapped.message).toContain("creating the Deployment")
  }
  const forbidden = fromKube(status(403, 'deployments.apps is forbidden: cannot "patch"'), "scaling")
  expect(forbidden.message).toContain("deploy/kubernetes/rbac.yaml")
})

test("a socket failure is KUBE_UNAVAILABLE and retryable; a non-JSON body is quoted as text", () => {
  const refused = fromKube(Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6443"), { code: "ECONNREFUSED" }), "listing")
  expect([refused.code, refused.retryable]).toEqual(["KUBE_UNAVAILABLE", true])
  expect(kubeMessage(new ApiException(502, "bad", "upstream gone", {}))).toBe("upstream gone")
})
