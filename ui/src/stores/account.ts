// The signed-in user's own security: password change, two-factor state, TOTP enrolment, recovery codes, active sign-ins.
import type { ActiveSignIn, AuthStatus, ChangePasswordRequest } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { ref } from "vue"
import { call } from "@/api/client.ts"

export const useAccountStore = defineStore("account", () => {
  const status = ref<AuthStatus | null>(null)
  const signIns = ref<ActiveSignIn[]>([])

  async function loadStatus() {
    status.value = await call((api) => api.auth.status.get())
  }

  async function loadSignIns() {
    signIns.value = await call((api) => api.auth["sign-ins"].get())
  }

  /** A new secret; two-factor is on only after verify() with a first code from it. */
  const enrol = () => call((api) => api.auth.totp.enrol.post())

  async function verify(totp: string): Promise<string[]> {
    const { recoveryCodes } = await call((api) => api.auth.totp.verify.post({ totp }))
    await loadStatus()
    return recoveryCodes
  }

  async function disable(factor: { totp: string } | { recoveryCode: string }) {
    await call((api) => api.auth.totp.disable.post(factor))
    await loadStatus()
  }

  async function newRecoveryCodes(totp: string): Promise<string[]> {
    const { recoveryCodes } = await call((api) => api.auth["recovery-codes"].post({ totp }))
    await loadStatus()
    return recoveryCodes
  }

  /** Answers how many other sign-ins ended; this one stays. */
  async function changePassword(input: ChangePasswordRequest): Promise<number> {
    const { revoked } = await call((api) => api.auth.password.post(input))
    // The ended sign-ins are gone from the list; the password is changed even if the reload fails.
    await loadSignIns().catch(() => undefined)
    return revoked
  }

  async function revoke(id: string) {
    await call((api) => api.auth["sign-ins"]({ id }).delete())
    signIns.value = signIns.value.filter((s) => s.id !== id)
  }

  async function revokeAll(): Promise<number> {
    const { revoked } = await call((api) => api.auth["sign-ins"].delete())
    signIns.value = []
    return revoked
  }

  return {
    status,
    signIns,
    loadStatus,
    loadSignIns,
    changePassword,
    enrol,
    verify,
    disable,
    newRecoveryCodes,
    revoke,
    revokeAll,
  }
})
