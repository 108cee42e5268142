// The portal's pages and who may open them. Pages load lazily so the sign-in page stays small.
import type { Role } from "@streamspace/schemas"
import { createRouter, createWebHistory, type RouteRecordRaw } from "vue-router"
import { installAuthGuard } from "@/modules/auth/guard.ts"
import { pinia } from "./pinia.ts"

declare module "vue-router" {
  interface RouteMeta {
    title?: string
    /** Reachable without signing in. */
    public?: boolean
    /** The least role that may open the page. */
    role?: Role
    /** Fills the tab without the app bar and navigation (the desktop viewer, sign-in, setup, invitation). */
    bare?: boolean
  }
}

export const routes: RouteRecordRaw[] = [
  { path: "/", redirect: "/catalog" },
  {
    path: "/sign-in",
    name: "sign-in",
    component: () => import("@/pages/SignInPage.vue"),
    meta: { title: "Sign in", public: true, bare: true },
  },
  {
    path: "/setup",
    name: "setup",
    component: () => import("@/pages/SetupPage.vue"),
    meta: { title: "Set up StreamSpace", public: true, bare: true },
  },
  {
    path: "/invitation",
    name: "invitation",
    component: () => import("@/pages/InvitationPage.vue"),
    meta: { title: "Set your password", public: true, bare: true },
  },
  { path: "/catalog", name: "catalog", component: () => import("@/pages/CatalogPage.vue"), meta: { title: "Catalog" } },
  { path: "/sessions", name: "sessions", component: () => import("@/pages/SessionsPage.vue"), meta: { title: "My sessions" } },
  {
    path: "/sessions/:id/view",
    name: "viewer",
    component: () => import("@/pages/ViewerPage.vue"),
    meta: { title: "Desktop", bare: true },
  },
  { path: "/account", name: "account", component: () => import("@/pages/AccountPage.vue"), meta: { title: "Account" } },
  { path: "/api-keys", name: "api-keys", component: () => import("@/pages/ApiKeysPage.vue"), meta: { title: "API keys" } },
  {
    path: "/admin",
    name: "dashboard",
    component: () => import("@/pages/admin/DashboardPage.vue"),
    meta: { title: "Dashboard", role: "admin" },
  },
  {
    path: "/admin/users",
    name: "users",
    component: () => import("@/pages/admin/UsersPage.vue"),
    meta: { title: "Users", role: "admin" },
  },
  {
    path: "/admin/templates",
    name: "templates",
    component: () => import("@/pages/admin/TemplatesPage.vue"),
    meta: { title: "Templates", role: "admin" },
  },
  {
    path: "/admin/agents",
    name: "agents",
    component: () => import("@/pages/admin/AgentsPage.vue"),
    meta: { title: "Agents", role: "operator" },
  },
  {
    path: "/admin/plugins",
    name: "plugins",
    component: () => import("@/pages/admin/PluginsPage.vue"),
    meta: { title: "Plugins", role: "admin" },
  },
  {
    path: "/admin/audit",
    name: "audit",
    component: () => import("@/pages/admin/AuditPage.vue"),
    meta: { title: "Audit log", role: "admin" },
  },
  { path: "/forbidden", name: "forbidden", component: () => import("@/pages/ForbiddenPage.vue"), meta: { title: "Not allowed" } },
  {
    path: "/:pathMatch(.*)*",
    name: "not-found",
    component: () => import("@/pages/NotFoundPage.vue"),
    meta: { title: "Not found", public: true },
  },
]

export const router = createRouter({ history: createWebHistory(), routes })
installAuthGuard(router, pinia)
