// Renders the manifest shape as the standalone JSON Schema document that plugin authors validate against.
import { PluginManifest } from "./plugin-manifest.ts"

export const PLUGIN_MANIFEST_SCHEMA_ID = "https://streamspace.dev/schemas/plugin-manifest.schema.json"

export const pluginManifestJsonSchema = (): string =>
  `${JSON.stringify(
    {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: PLUGIN_MANIFEST_SCHEMA_ID,
      title: "StreamSpace plugin manifest",
      ...JSON.parse(JSON.stringify(PluginManifest)),
    },
    null,
    2,
  )}\n`
