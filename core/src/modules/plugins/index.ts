// Routes: the admin API for plugins — install, grant, configure, enable/disable, uninstall, marketplace, secrets.
import {
  ConfigurePlugin,
  IdParams,
  InstallPlugin,
  MarketplaceEntry,
  PluginActionDeclaration,
  PluginActionParams,
  PluginInstall,
  PluginInstallDetail,
  SecretParams,
  SetSecret,
  UpgradePlugin,
} from "@streamspace/schemas"
import { Elysia, t } from "elysia"
import type { CoreDeps } from "../../deps.ts"
import type { HttpPlugins } from "../../http/plugins.ts"
import type { PluginHost } from "./plugin-host.ts"
import { listActions, runAction } from "./actions.ts"
import * as plugins from "./service.ts"

const tags = ["plugins"]

export const pluginRoutes = (deps: CoreDeps, http: HttpPlugins, host: PluginHost) =>
  new Elysia({ name: "plugins", prefix: "/api/v1/plugins" })
    .use(http)
    .get("/", () => plugins.listPlugins(deps, host), {
      auth: "admin",
      response: { 200: t.Array(PluginInstall) },
      detail: { summary: "List plugin installs with their status", tags },
    })
    .get("/marketplace", () => plugins.listMarketplace(deps, host), {
      auth: "admin",
      response: { 200: t.Array(MarketplaceEntry) },
      detail: { summary: "List the plugins of the local marketplace (PLUGIN_MARKETPLACE) and what each asks for", tags },
    })
    .post(
      "/",
      async ({ body, set, audit }) => {
        const installed = await plugins.installPlugin(deps, host, body)
        audit.targetId = installed.id
        audit.detail = {
          pluginId: installed.pluginId,
          version: installed.version,
          source: body.source,
          sha256: installed.bundleSha256,
          granted: installed.permissions.granted,
        }
        set.status = 201
        return installed
      },
      {
        auth: "admin",
        audit: "plugin.install",
        body: InstallPlugin,
        response: { 201: PluginInstall },
        detail: {
          summary:
            "Install a plugin from an uploaded manifest and bundle, or from the marketplace; `grant` must name the permissions given",
          tags,
        },
      },
    )
    .get("/:id", ({ params }) => plugins.getPluginDetail(deps, host, params.id), {
      auth: "admin",
      params: IdParams,
      response: { 200: PluginInstallDetail },
      detail: { summary: "A plugin install: status, recent errors, config schema and secret names", tags },
    })
    .patch(
      "/:id",
      ({ params, body, audit }) => {
        audit.detail = { fields: Object.keys(body), ...(body.grant ? { granted: body.grant } : {}) }
        return plugins.configurePlugin(deps, host, params.id, body)
      },
      {
        auth: "admin",
        audit: "plugin.configure",
        params: IdParams,
        body: ConfigurePlugin,
        response: { 200: PluginInstall },
        detail: {
          summary: "Change config (validated against the configSchema), grant or priority; a running plugin reloads",
          tags,
        },
      },
    )
    .post(
      "/:id/upgrade",
      async ({ params, body, audit }) => {
        const { from, install } = await plugins.upgradePlugin(deps, host, params.id, body)
        audit.detail = { from, to: install.version }
        return install
      },
      {
        auth: "admin",
        audit: "plugin.upgrade",
        params: IdParams,
        body: UpgradePlugin,
        response: { 200: PluginInstall },
        detail: {
          summary: "Move an install to another marketplace version (newest by default), keeping its data, config and grant",
          tags,
        },
      },
    )
    .post("/:id/enable", ({ params }) => plugins.setEnabled(deps, host, params.id, true), {
      auth: "admin",
      audit: "plugin.enable",
      params: IdParams,
      response: { 200: PluginInstall },
      detail: { summary: "Enable a plugin install (also retries one that failed)", tags },
    })
    .post("/:id/disable", ({ params }) => plugins.setEnabled(deps, host, params.id, false), {
      auth: "admin",
      audit: "plugin.disable",
      params: IdParams,
      response: { 200: PluginInstall },
      detail: { summary: "Disable a plugin install: it stops running and its hooks are no longer asked", tags },
    })
    .delete(
      "/:id",
      async ({ params, set }) => {
        await plugins.uninstallPlugin(deps, host, params.id)
        set.status = 204
      },
      {
        auth: "admin",
        audit: "plugin.uninstall",
        params: IdParams,
        detail: { summary: "Uninstall a plugin: its config, kv data and secrets are deleted", tags },
      },
    )
    .put(
      "/:id/secrets/:name",
      async ({ params, body, set, audit }) => {
        audit.detail = { name: params.name }
        await plugins.setSecret(deps, host, params.id, params.name, body.value)
        set.status = 204
      },
      {
        auth: "admin",
        audit: "plugin.secret.set",
        params: SecretParams,
        body: SetSecret,
        detail: { summary: "Set one of the plugin's secrets; stored encrypted, never returned", tags },
      },
    )
    .delete(
      "/:id/secrets/:name",
      async ({ params, set, audit }) => {
        audit.detail = { name: params.name }
        await plugins.deleteSecret(deps, params.id, params.name)
        set.status = 204
      },
      {
        auth: "admin",
        audit: "plugin.secret.delete",
        params: SecretParams,
        detail: { summary: "Delete one of the plugin's secrets", tags },
      },
    )
    .get("/:id/actions", ({ params }) => listActions(deps, params.id), {
      auth: "admin",
      params: IdParams,
      response: { 200: t.Array(PluginActionDeclaration) },
      detail: { summary: "The admin actions a plugin offers (declared in its manifest)", tags },
    })
    .get(
      "/:id/actions/:action",
      ({ params, query, user }) => runAction(deps, host, params.id, params.action, query, user, "GET"),
      {
        auth: "admin",
        params: PluginActionParams,
        query: t.Record(t.String(), t.String()),
        response: { 200: t.Unknown() },
        detail: { summary: "Run a read-only plugin action (e.g. a delivery log); the query is its input", tags },
      },
    )
    .post(
      "/:id/actions/:action",
      ({ params, body, user, audit }) => {
        // The input is not audited: it may hold what the plugin treats as secret.
        audit.detail = { action: params.action }
        return runAction(deps, host, params.id, params.action, body ?? {}, user, "POST")
      },
      {
        auth: "admin",
        audit: "plugin.action",
        params: PluginActionParams,
        body: t.Optional(t.Record(t.String(), t.Unknown())),
        response: { 200: t.Unknown() },
        detail: {
          summary: "Run a plugin's admin action with a JSON object as input; its answer is the plugin's result",
          tags,
        },
      },
    )
