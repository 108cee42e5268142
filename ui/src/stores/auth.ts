// Who is signed in. Every sign-in method (API key now; password, TOTP, OIDC with the auth plugin) ends in establish().
import type { Role, User } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { computed, ref } from "vue"
import { call, onUnauthorized, setCredential } from "@/api/client.ts"
import { ApiError } from "@/api/problem.ts"
import {
  type Credential,
  credentialOf,
  loadCredential,
  problemWithPastedToken,
  saveCredential,
} from "@/modules/auth/credential.ts"
import { hasRole } from "@/modules/auth/roles.ts"

export type AuthStatus = "signed-out" | "restoring" | "signed-in"

export const useAuthStore = defineStore("auth", () => {
  const credential = ref<Credential | null>(null)
  const user = ref<User | null>(null)
  const status = ref<AuthStatus>("signed-out")
  /** Why the user was signed out, shown on the sign-in page. */
  const notice = ref<string | null>(null)

  const signedIn = computed(() => status.value === "signed-in")
  const role = computed<Role | undefined>(() => user.value?.role)
  const can = (needed: Role) => hasRole(role.value, needed)

  /** Adopts a credential if the control plane accepts it; the previous one stays otherwise. */
  async function establish(next: Credential): Promise<User> {
    setCredential(next.token)
    try {
      const me = await call((api) => api.me.get())
      credential.value = next
      user.value = me
      status.value = "signed-in"
      notice.value = null
      saveCredential(next)
      return me
    } catch (e) {
      setCredential(credential.value?.token ?? null)
      throw e
    }
  }

  /** "Use an API key": also accepts an access token pasted from elsewhere. */
  async function signInWithToken(raw: string): Promise<User> {
    const problem = problemWithPastedToken(raw)
    if (problem) throw new ApiError(0, "INVALID_TOKEN_FORMAT", problem)
    return establish(credentialOf(raw))
  }

  /** On start: picks up the credential this tab signed in with, if it still works. */
  async function restore(): Promise<void> {
    const saved = loadCredential()
    if (!saved) return
    status.value = "restoring"
    try {
      await establish(saved)
    } catch (e) {
      const unauthorized = e instanceof ApiError && e.status === 401
      signOut(unauthorized ? "Your saved sign-in no longer works. Sign in again." : null)
      // A control plane that cannot be reached is not a reason to forget the key.
      if (!unauthorized) saveCredential(saved)
    }
  }

  function signOut(reason: string | null = null) {
    credential.value = null
    user.value = null
    status.value = "signed-out"
    notice.value = reason
    saveCredential(null)
    setCredential(null)
  }

  // An API key or pasted token cannot be refreshed: a 401 means it was revoked or expired.
  onUnauthorized(async () => {
    if (status.value === "signed-in")
      signOut(
        credential.value?.kind === "api_key"
          ? "The API key you signed in with was revoked or has expired. Sign in again."
          : "Your access token has expired. Sign in again.",
      )
    return false
  })

  return { credential, user, status, notice, signedIn, role, can, establish, signInWithToken, restore, signOut }
})
