// Keeps signed-out visitors on the sign-in page and pages behind their role.
import type { Pinia } from "pinia"
import { watch } from "vue"
import type { Router } from "vue-router"
import { useAuthStore } from "@/stores/auth.ts"

/** Where a sign-in may send the user back to: only paths inside the portal. */
export const safeRedirect = (value: unknown): string =>
  typeof value === "string" && value.startsWith("/") && !value.startsWith("//") ? value : "/catalog"

export function installAuthGuard(router: Router, pinia: Pinia) {
  let restored: Promise<void> | null = null

  router.beforeEach(async (to) => {
    const auth = useAuthStore(pinia)
    restored ??= auth.restore()
    await restored
    if (to.name === "sign-in") return auth.signedIn ? safeRedirect(to.query.redirect) : true
    if (to.meta.public) return true
    if (!auth.signedIn) return { name: "sign-in", query: to.fullPath === "/" ? {} : { redirect: to.fullPath } }
    if (to.meta.role && !auth.can(to.meta.role))
      return { name: "forbidden", query: { page: to.meta.title ?? to.path, role: to.meta.role } }
    return true
  })

  router.afterEach((to) => {
    document.title = to.meta.title ? `${to.meta.title} · StreamSpace` : "StreamSpace"
  })

  // Every sign-out leads to the sign-in page, from here only (one navigation). One the user did not
  // ask for (revoked key, ended sign-in) keeps the page, to come back to after signing in again.
  router.isReady().then(() => {
    const auth = useAuthStore(pinia)
    watch(
      () => auth.signedIn,
      (signedIn) => {
        const current = router.currentRoute.value
        if (signedIn || current.meta.public) return
        void router.push({ name: "sign-in", query: auth.notice ? { redirect: current.fullPath } : {} })
      },
    )
  })
}
