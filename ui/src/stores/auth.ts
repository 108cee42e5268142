// Who is signed in. Every sign-in method (password, TOTP, OIDC, API key) ends in adopt() or establish().
import type { Role, SignInRequest, TokenResponse, User } from "@streamspace/schemas"
import { defineStore } from "pinia"
import { computed, ref } from "vue"
import { call, onUnauthorized, setCredential } from "@/api/client.ts"
import { ApiError } from "@/api/problem.ts"
import {
  type Credential,
  credentialOf,
  expectsSessionCookie,
  loadCredential,
  markSessionCookie,
  problemWithPastedToken,
  saveCredential,
} from "@/modules/auth/credential.ts"
import { hasRole } from "@/modules/auth/roles.ts"
import { refreshDelayMs, refreshSession } from "@/modules/auth/session-refresh.ts"

export type AuthStatus = "signed-out" | "restoring" | "signed-in"

const ENDED = "Your sign-in has ended (it expired or was signed out elsewhere). Sign in again."
const NETWORK_RETRY_MS = 15_000

export const useAuthStore = defineStore("auth", () => {
  const credential = ref<Credential | null>(null)
  const user = ref<User | null>(null)
  const status = ref<AuthStatus>("signed-out")
  /** Why the user was signed out, shown on the sign-in page. */
  const notice = ref<string | null>(null)

  const signedIn = computed(() => status.value === "signed-in")
  const role = computed<Role | undefined>(() => user.value?.role)
  const can = (needed: Role) => hasRole(role.value, needed)

  let refreshTimer: ReturnType<typeof setTimeout> | undefined
  let refreshing: Promise<boolean> | null = null

  /** Adopts a pasted API key or access token if the control plane accepts it; the previous one stays otherwise. */
  async function establish(next: Credential): Promise<User> {
    setCredential(next.token)
    try {
      const me = await call((api) => api.me.get(), true)
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

  /** A password, TOTP or OIDC sign-in (or a refresh of one): the access token in memory, the refresh token in its cookie. */
  function adopt(tokens: TokenResponse): User {
    credential.value = { kind: "session", token: tokens.accessToken, expiresAt: Date.now() + tokens.expiresIn * 1000 }
    user.value = tokens.user
    status.value = "signed-in"
    notice.value = null
    setCredential(tokens.accessToken)
    saveCredential(null)
    markSessionCookie(true)
    scheduleRefresh(refreshDelayMs(tokens.expiresIn))
    return tokens.user
  }

  function scheduleRefresh(delayMs: number) {
    clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => void refreshNow(), delayMs)
  }

  /** One refresh at a time; true when a new access token is in place. A refused refresh signs out. */
  function refreshNow(): Promise<boolean> {
    refreshing ??= refreshSession()
      .then((tokens) => {
        adopt(tokens)
        return true
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 0 && credential.value?.kind === "session") {
          // The control plane is out of reach for now: try again, the cookie is still good.
          scheduleRefresh(NETWORK_RETRY_MS)
          return false
        }
        if (credential.value?.kind === "session") forget(ENDED)
        return false
      })
      .finally(() => (refreshing = null))
    return refreshing
  }

  async function signInWithPassword(input: SignInRequest): Promise<User> {
    return adopt(await call((api) => api.auth["sign-in"].post(input), true))
  }

  /** "Use an API key": also accepts an access token pasted from elsewhere. */
  async function signInWithToken(raw: string): Promise<User> {
    const problem = problemWithPastedToken(raw)
    if (problem) throw new ApiError(0, "INVALID_TOKEN_FORMAT", problem)
    return establish(credentialOf(raw))
  }

  /** After the OIDC round trip (or a reload): trade the refresh cookie for an access token. */
  async function resumeSession(): Promise<User> {
    return adopt(await refreshSession())
  }

  /** On start: picks up this tab's API key, or this browser's cookie sign-in, if it still works. */
  async function restore(): Promise<void> {
    const saved = loadCredential()
    if (!saved && !expectsSessionCookie()) return
    status.value = "restoring"
    try {
      if (saved) await establish(saved)
      else await resumeSession()
    } catch (e) {
      const refused = e instanceof ApiError && e.status === 401
      if (saved) {
        forget(refused ? "Your saved sign-in no longer works. Sign in again." : null)
        // A control plane that cannot be reached is not a reason to forget the key.
        if (!refused) saveCredential(saved)
      } else {
        forget(refused ? ENDED : null)
        if (!refused) markSessionCookie(true)
      }
    }
  }

  /** Ends the sign-in here and, for a cookie sign-in, on the server (its refresh token stops working). */
  async function signOut() {
    if (credential.value?.kind === "session") {
      // Best effort: the local sign-out happens even when the control plane cannot be reached.
      await call((api) => api.auth["sign-out"].post(undefined), true).catch(() => undefined)
    }
    forget(null)
  }

  /** Forgets the credential in this tab (and the cookie marker) without asking the server. */
  function forget(reason: string | null) {
    clearTimeout(refreshTimer)
    if (credential.value?.kind === "session" || reason === ENDED) markSessionCookie(false)
    credential.value = null
    user.value = null
    status.value = "signed-out"
    notice.value = reason
    saveCredential(null)
    setCredential(null)
  }

  onUnauthorized(async () => {
    if (status.value !== "signed-in") return false
    // An access token that expired early (a sleeping laptop): one refresh, then the call again.
    if (credential.value?.kind === "session") return refreshNow()
    forget(
      credential.value?.kind === "api_key"
        ? "The API key you signed in with was revoked or has expired. Sign in again."
        : "Your access token has expired. Sign in again.",
    )
    return false
  })

  // Signing out in one tab signs out the others (their refresh cookie is gone anyway).
  if (typeof window !== "undefined")
    window.addEventListener("storage", (event) => {
      if (event.key === "streamspace.signed-in" && event.newValue === null && credential.value?.kind === "session")
        forget("You signed out in another tab.")
    })

  return {
    credential,
    user,
    status,
    notice,
    signedIn,
    role,
    can,
    adopt,
    establish,
    signInWithPassword,
    signInWithToken,
    resumeSession,
    restore,
    signOut,
    forget,
  }
})
